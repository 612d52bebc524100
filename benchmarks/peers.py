"""backprop-coach against the two ways other graders decide a formula, on the same public corpus.

- **simplify** (as PrairieLearn's symbolic grader does): correct when SymPy's
  `simplify(claim - truth)` is 0 in every entry, within 5 s (a timeout is a reject).
- **five points** (as WeBWorK's MathObjects and MITx formula checkers do): correct when claim and
  truth agree at 5 random points within a relative tolerance of 0.1%, or 1e-12 where the truth is
  below 1e-14 (WeBWorK's defaults: functRelPercentTolDefault = 0.1, functZeroLevelDefault =
  1e-14, functZeroLevelTolDefault = 1e-12). The points come from the problem's own domains.

Both peers get the true gradient for free (SymPy's, not timed) and read the claim with this
tool's parser; backprop-coach is timed whole (`grader.check`, building the problem included),
and goes first on each case, so the peers' SymPy work cannot warm its caches. A case whose
SymPy truth cannot be built is left out of every line.
Each line: verdicts right (accept/reject as the corpus expects), false accepts, false rejects,
median and p95 milliseconds a case.

    .venv/bin/python benchmarks/peers.py [tests/data/check_corpus.jsonl]
"""

from __future__ import annotations

import json
import signal
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from backprop_coach.expr.errors import ExprError
from backprop_coach.expr.parse import parse
from backprop_coach.expr.problem import problem_from_specs
from backprop_coach.grading import grader
from backprop_coach.grading.setting import Setting, build_setting

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "check_corpus.jsonl"
SIMPLIFY_LIMIT = 5  # seconds


class _OutOfTime(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _OutOfTime


def simplify_grader(setting: Setting, claim: str) -> bool:
    symbolic = setting.symbolic
    assert symbolic is not None
    value = symbolic.build(parse(claim).tree)
    truth = symbolic.truth
    if value == 0 and isinstance(truth, sp.MatrixBase):
        value = sp.ImmutableMatrix.zeros(*truth.shape)
    if getattr(value, "shape", None) != getattr(truth, "shape", None):
        return False
    diff = symbolic.expand_wrt(value - truth)
    entries = list(diff) if isinstance(diff, sp.MatrixBase) else [diff]
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, SIMPLIFY_LIMIT)
    try:
        return all(sp.simplify(e) == 0 for e in entries)
    except _OutOfTime:
        return False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def five_point_grader(setting: Setting, claim: str) -> bool:
    value = setting.build(parse(claim).tree)
    points = setting.draw(5, np.random.default_rng(0))
    mine, truth = points.values(value), points.values(setting.truth)
    if mine.shape != truth.shape:
        return False
    with np.errstate(all="ignore"):
        tolerance = np.where(np.abs(truth) < 1e-14, 1e-12, 1e-3 * np.abs(truth))
        ok = np.abs(mine - truth) <= tolerance
    return bool(ok.all())


def ours(case: dict[str, Any]) -> bool:
    problem = problem_from_specs(
        case["loss"], case["wrt"], case["let"], case["shape"], case["domain"]
    )
    return grader.check(problem, case["claim"], display=False).verdict == "correct"


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS
    cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    cases = [c for c in cases if "at" not in c]
    peers: dict[str, Callable[[Setting, str], bool]] = {
        "simplify (PrairieLearn)": simplify_grader,
        "five points (WeBWorK)": five_point_grader,
    }
    results: dict[str, list[tuple[bool, bool, float]]] = {
        name: [] for name in [*peers, "backprop-coach"]
    }
    skipped = 0
    for case in cases:
        expected = case["expect"]["verdict"] == "correct"
        start = time.perf_counter()
        accepted = ours(case)
        ours_row = (expected, accepted, time.perf_counter() - start)
        problem = problem_from_specs(
            case["loss"], case["wrt"], case["let"], case["shape"], case["domain"]
        )
        try:
            setting: Setting | None = build_setting(problem)
        except ExprError:
            setting = None  # an invalid problem: every grader refuses it
        if setting is not None and setting.symbolic is None:
            skipped += 1  # no SymPy truth to give the peers
            continue
        results["backprop-coach"].append(ours_row)
        for name, peer in peers.items():
            start = time.perf_counter()
            try:
                accepted = setting is not None and peer(setting, case["claim"])
            except (ExprError, TypeError, ValueError):
                accepted = False
            results[name].append((expected, accepted, time.perf_counter() - start))
    print(
        f"{len(cases) - skipped} cases from {path.name} ({skipped} without a SymPy truth left out)"
    )
    for name, rows in results.items():
        right = sum(e == a for e, a, _ in rows)
        false_accepts = sum(a and not e for e, a, _ in rows)
        false_rejects = sum(e and not a for e, a, _ in rows)
        ms = sorted(t * 1000 for _, _, t in rows)
        p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
        print(
            f"{name:24} right {right:3}/{len(rows)}  false accepts {false_accepts:2}  "
            f"false rejects {false_rejects:2}  median {statistics.median(ms):6.1f} ms  "
            f"p95 {p95:7.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
