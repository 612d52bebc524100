"""The numeric graph (expr.tensor) against independent oracles: its reverse-mode truth against
SymPy's sp.diff of the same problem evaluated by SymPy itself, on every problem of the public
corpora; Leibniz terms and large shapes against numbers worked with numpy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from backprop_coach.expr.problem import Problem, problem_from_specs
from backprop_coach.expr.symbolic import free_entries, rewrite_exp
from backprop_coach.grading.diagnosis import terms_slack
from backprop_coach.grading.grader import check
from backprop_coach.grading.setting import build_setting

DATA = Path(__file__).parent / "data"


def _problems() -> list[Problem]:
    seen: dict[str, Problem] = {}
    for path in sorted(DATA.glob("*_corpus.jsonl")):
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            case = json.loads(line)
            key = json.dumps([case[k] for k in ("loss", "wrt", "let", "shape", "domain")])
            problem = problem_from_specs(
                case["loss"], case["wrt"], case["let"], case["shape"], case["domain"]
            )
            seen.setdefault(key, problem)
    return list(seen.values())


PROBLEMS = _problems()


def test_the_corpora_have_many_problems() -> None:
    assert len(PROBLEMS) > 100


@pytest.mark.parametrize("index", range(len(PROBLEMS)))
def test_reverse_mode_truth_equals_sympy_diff(index: int) -> None:
    problem = PROBLEMS[index]
    try:
        setting = build_setting(problem)
    except Exception:  # a problem the corpus expects to be refused
        pytest.skip("the problem itself is invalid")
    symbolic = setting.symbolic
    if symbolic is None:
        pytest.skip("too large for SymPy")
    points = setting.draw(2, np.random.default_rng(index))
    numeric = points.values(setting.truth)
    # the float truth is as good as its rounding bound (a loss written with 1e8 - 1e8 in it)
    bound = terms_slack(points.magnitudes(setting.truth))
    truth = symbolic.truth
    entries = list(truth) if isinstance(truth, sp.MatrixBase) else [truth]
    for p in range(points.size):
        env: dict[sp.Basic, sp.Basic] = {}
        for name, value in symbolic.world.primaries.items():
            for s, v in zip(free_entries(value), np.ravel(points.arrays[name][p]), strict=True):
                env[s] = sp.Float(float(v), 30)
        for s, v in zip(
            free_entries(symbolic.world.wrt_value),
            np.ravel(points.arrays.get(problem.wrt, np.zeros((1, 1, 1)))[p]),
            strict=True,
        ):
            env.setdefault(s, sp.Float(float(v), 30))
        want = [complex(rewrite_exp(e).xreplace(env).evalf(30)) for e in entries]
        got = numeric[p].ravel()
        for w, g, b in zip(want, got, bound[p].ravel(), strict=True):
            if not np.isfinite(g) or abs(w.imag) > 0 or not np.isfinite(abs(w)):
                continue  # undefined there (log of a negative draw): nothing to compare
            assert g == pytest.approx(w.real, rel=1e-9, abs=1e-12 + b), problem


def test_a_32x32_layer_is_checked_by_the_numbers() -> None:
    """W@x at 32x32 (beyond SymPy's reach) gets the same verdicts as at 2x2: δ xᵀ is right, and
    its transpose and a missing factor are named."""
    shapes = {"W": (32, 32), "x": (32, 1), "y": (32, 1)}
    problem = Problem("sum((W@x - y)^2)/2", "W", (), shapes)
    right = check(problem, "(W x - y) x.T")
    assert right.verdict == "correct"
    assert "agrees at all" in right.message
    assert check(problem, "x (W x - y).T").diagnosis == "transposed"
    assert check(problem, "2 (W x - y) x.T").diagnosis == "constant_factor"
    assert check(problem, "(W x - y) x.T + 1e-6").verdict == "incorrect"


def test_leibniz_terms_over_a_vector_are_the_jacobian_diagonal() -> None:
    """∂a/∂z for a = σ(z) is σ'(z) entry by entry, worked with numpy at the grader's points."""
    from backprop_coach.grading.steps import check_steps

    problem = Problem("sum((a - y)^2)/2", "z", (("a", "sigmoid(z)"),), {"z": (3, 1), "y": (3, 1)})
    report = check_steps(problem, "dL/dz = dL/da * da/dz\n= (a - y) * a * (1 - a)")
    assert [s.correct for s in report.steps] == [True, True]
