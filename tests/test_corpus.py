"""The public grading corpora (tests/data/*_corpus.jsonl): every case gets its expected verdict
and diagnosis. check_corpus holds the first cases, notation_corpus the notations learners write
(its verdicts come from tests/oracle/notation_oracle.py), judging_corpus zeros, numbers, masks
and the classic slips (worked by hand in tests/oracle/judging_corpus.py).
benchmarks/grading.py runs the same corpora through batch mode and times them."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from backprop_coach.expr.parse import parse_point
from backprop_coach.expr.problem import problem_from_specs
from backprop_coach.grading.grader import check
from backprop_coach.grading.point import check_number

DATA = Path(__file__).parent / "data"
CORPORA = sorted(DATA.glob("*_corpus.jsonl"))
CASES = [json.loads(line) for path in CORPORA for line in path.read_text().splitlines() if line]


def test_corpora_are_large_and_ids_unique() -> None:
    assert {p.name for p in CORPORA} >= {
        "check_corpus.jsonl", "notation_corpus.jsonl", "judging_corpus.jsonl"
    }  # fmt: skip
    assert len(CASES) >= 139 + 80 + 40
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict) -> None:  # type: ignore[type-arg]
    problem = problem_from_specs(
        case["loss"], case["wrt"], case["let"], case["shape"], case["domain"]
    )
    if "at" in case:
        point: dict[str, Fraction] = dict(map(parse_point, case["at"]))
        verdict = check_number(problem, case["claim"], point)
    else:
        verdict = check(problem, case["claim"])
    expected = case["expect"]
    assert (verdict.verdict, verdict.diagnosis) == (expected["verdict"], expected["diagnosis"]), (
        verdict.message
    )
