"""The public grading corpus: every case gets its expected verdict and diagnosis.
(benchmarks/grading.py runs the same corpus through batch mode and times it.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backprop_coach.grading.grader import check
from backprop_coach.grading.problem import problem_from_specs

CORPUS = Path(__file__).parent / "data" / "check_corpus.jsonl"
CASES = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


def test_corpus_is_large_and_ids_unique() -> None:
    assert len(CASES) >= 100
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict) -> None:  # type: ignore[type-arg]
    problem = problem_from_specs(
        case["loss"], case["wrt"], case["let"], case["shape"], case["domain"]
    )
    verdict = check(problem, case["claim"])
    expected = case["expect"]
    assert (verdict.verdict, verdict.diagnosis) == (expected["verdict"], expected["diagnosis"]), (
        verdict.message
    )
