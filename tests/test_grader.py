"""The grader: equivalent forms accepted, wrong forms rejected with the right diagnosis."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from backprop_coach.expr.problem import Problem, problem_from_specs
from backprop_coach.expr.tensor import Points
from backprop_coach.grading.grader import check
from backprop_coach.grading.point import check_number
from backprop_coach.grading.setting import build_setting

NEURON = (("z", "w*x + b"), ("a", "sigmoid(z)"))
SSE = Problem("(a - y)^2/2", "w", NEURON)
DELTA = Problem("(a - y)^2/2", "z", NEURON)
DENSE_SHAPES = {"W": (2, 3), "x": (3, 1), "b": (2, 1), "y": (2, 1)}
DENSE = Problem("sum((W@x + b - y)^2)/2", "W", (), DENSE_SHAPES)
TWO_LAYER = (
    ("z1", "W1 @ x"),
    ("a1", "sigmoid(z1)"),
    ("z2", "W2 @ a1"),
    ("a2", "sigmoid(z2)"),
)
TWO_SHAPES = {"W1": (3, 2), "W2": (2, 3), "x": (2, 1), "y": (2, 1)}


@pytest.mark.parametrize(
    ("problem", "claim"),
    [
        (DELTA, "(a - y)*a*(1 - a)"),
        (DELTA, "(a - y)*σ'(z)"),
        (DELTA, "(a - y)*exp(-z)/(1 + exp(-z))^2"),
        (DELTA, "(sigmoid(w*x + b) - y)*sigmoid(z)*sigmoid(-z)"),
        (SSE, "(a - y)*a*(1 - a)*x"),
        (SSE, "x(a - y)a(1 - a)"),
        (Problem("(tanh(z) - y)^2/2", "z"), "(tanh(z) - y)*(1 - tanh(z)^2)"),
        (Problem("(tanh(z) - y)^2/2", "z"), "(tanh(z) - y)*tanh'(z)"),
        (Problem("(relu(z) - y)^2/2", "z"), "(relu(z) - y)*step(z)"),
        (Problem("softplus(z)", "z"), "sigmoid(z)"),
        (Problem("log(1 + exp(z)) - log(1 + exp(-z))", "z"), "1"),
        (Problem("-(y*log(a) + (1 - y)*log(1 - a))", "z", (("a", "sigmoid(z)"),)), "a - y"),
        (DENSE, "(W@x + b - y) @ x.T"),
        (Problem("sum((W@x + b - y)^2)/2", "b", (), DENSE_SHAPES), "W@x + b - y"),
        (Problem("sum((W@x + b - y)^2)/2", "x", (), DENSE_SHAPES), "W.T @ (W@x + b - y)"),
        (
            Problem(
                "-sum(y*log(softmax(z)))", "z", (), {"z": (3, 1), "y": (3, 1)}, {"y": "onehot"}
            ),
            "softmax(z) - y",
        ),
        (Problem("mean((w*x - y)^2)", "w", (), {"x": (4, 1), "y": (4, 1)}), "mean(2*(w*x - y)*x)"),
        (
            Problem("sum((a2 - y)^2)/2", "z1", TWO_LAYER, TWO_SHAPES),
            "(W2.T @ ((a2 - y) ⊙ a2 ⊙ (1 - a2))) ⊙ σ'(z1)",
        ),
        (
            Problem("sum((a2 - y)^2)/2", "W1", TWO_LAYER, TWO_SHAPES),
            "((W2.T @ ((a2 - y)*a2*(1 - a2)))*a1*(1 - a1)) @ x.T",
        ),
    ],
)
def test_equivalent_forms_are_correct(problem: Problem, claim: str) -> None:
    verdict = check(problem, claim)
    assert verdict.verdict == "correct", verdict.message
    assert verdict.exit_code == 0


@pytest.mark.parametrize(
    ("problem", "claim", "diagnosis", "fragment"),
    [
        (SSE, "(y - a)*a*(1 - a)*x", "sign_flip", "negative"),
        (SSE, "2*(a - y)*a*(1 - a)*x", "constant_factor", "2 times"),
        (SSE, "(a - y)*a*(1 - a)*x*1.000001", "constant_factor", "1.000001"),
        (SSE, "(a - y)*x", "missing_factor", "sigmoid'(z)"),
        (SSE, "(a - y)*a*(1 - a)", "missing_factor", "x"),
        (SSE, "(a - y)*a*(1 - a)*x*x", "extra_factor", "x"),
        (SSE, "(a - y)*a*(1 + a)*x", "wrong", "differs"),
        (DENSE, "x @ (W@x + b - y).T", "transposed", "transpose"),
        (DENSE, "(W@x + b - y) @ x", "shape_error", "2x1 @ 3x1"),
        (DENSE, "W@x + b - y", "shape_mismatch", "2x3"),
        (Problem("(relu(z) - y)^2/2", "z"), "relu(z) - y", "missing_factor", "relu'(z)"),
        (
            Problem("-sum(y*log(softmax(z)))", "z", (), {"z": (3, 1), "y": (3, 1)}),
            "softmax(z) - y",
            "domain",  # right only for a target that sums to 1: --domain y=onehot
            "add --domain y=onehot",
        ),
        (
            Problem("-sum(y*log(softmax(z)))", "z", (), {"z": (3, 1), "y": (3, 1)}),
            "softmax(z) - y + 1",
            "wrong",
            "3 of 3 entries",
        ),
        (
            Problem("sum((a2 - y)^2)/2", "z1", TWO_LAYER, TWO_SHAPES),
            "W2.T @ ((a2 - y)*a2*(1 - a2))",
            "missing_factor",
            "sigmoid'(z1)",
        ),
    ],
)
def test_wrong_forms_get_their_diagnosis(
    problem: Problem, claim: str, diagnosis: str, fragment: str
) -> None:
    verdict = check(problem, claim)
    assert verdict.verdict == "incorrect"
    assert verdict.diagnosis == diagnosis, verdict.message
    assert fragment in verdict.message
    assert verdict.exit_code == 1


def test_relu_derivative_is_not_one() -> None:
    # sampled on both sides of zero, so relu' = step is told apart from 1
    verdict = check(Problem("relu(z)", "z"), "1")
    assert verdict.verdict == "incorrect"


def test_zero_is_not_accepted_for_a_tiny_gradient() -> None:
    verdict = check(Problem("exp(-40)*w^2", "w"), "0")
    assert verdict.verdict == "incorrect"


def test_truth_matches_sympy_diff_independently() -> None:
    setting = build_setting(SSE)
    w, x, b, y = sp.symbols("w x b y", real=True)
    s = 1 / (1 + sp.exp(-(w * x + b)))
    oracle = sp.diff((s - y) ** 2 / 2, w)
    rng = np.random.default_rng(1)
    for _ in range(5):
        vals = dict(zip((w, x, b, y), rng.uniform(-2, 2, 4), strict=True))
        points = Points({s.name: np.full((1, 1, 1), v) for s, v in vals.items()}, 1)
        got = points.values(setting.truth)[0, 0, 0]
        assert got == pytest.approx(float(oracle.subs(vals)), rel=1e-12)


def test_wrong_matrix_claim_lists_wrong_entries_and_counterexample() -> None:
    verdict = check(DENSE, "(W@x + b - y) @ x.T + 0.5*step(W)")
    assert verdict.diagnosis == "wrong"
    assert verdict.counterexample.wrong_entries
    example = verdict.counterexample
    assert set(example.point) == {"W", "x", "b", "y"}


def test_counterexample_values_are_true() -> None:
    verdict = check(Problem("w^2*x", "w"), "w + x")
    assert verdict.diagnosis == "wrong"
    example = verdict.counterexample
    w, x = example.point["w"], example.point["x"]
    assert example.truth == pytest.approx(2 * w * x, rel=1e-5, abs=1e-5)
    assert example.claim == pytest.approx(w + x, rel=1e-5, abs=1e-5)


@pytest.mark.parametrize(
    ("problem", "claim", "fragment"),
    [
        (SSE, "(a - y)*q", "unknown name q; known: w, x, b, y, z, a"),
        (SSE, "factorial(10^9)", "unknown function factorial"),
        (SSE, "x +", "column 4"),
        (Problem("W@x", "W", (), {"W": (2, 2), "x": (2, 1)}), "x.T", "loss must be a scalar"),
        (Problem("w*x", "v"), "x", "wrt v: not a name"),
        (Problem("log(w)", "w", (), {}, {"w": "real"}), "1/w", ""),
    ],
)
def test_invalid_inputs(problem: Problem, claim: str, fragment: str) -> None:
    verdict = check(problem, claim)
    if fragment == "":  # log on reals: valid only at positive points, still decidable
        assert verdict.verdict == "correct"
        return
    assert verdict.verdict == "invalid"
    assert fragment in verdict.message
    assert verdict.exit_code == 2


def test_undefined_everywhere_is_reported() -> None:
    verdict = check(Problem("log(-w^2 - 1)", "w"), "1")
    assert verdict.verdict == "invalid"
    assert "undefined" in verdict.message


def test_let_wrt_means_delta() -> None:
    """∂L/∂z with a = σ(z): the node's own derivative, upstream held fixed."""
    assert check(DELTA, "(a - y)*a*(1 - a)").verdict == "correct"
    assert check(DELTA, "(a - y)*a*(1 - a)*x").diagnosis == "extra_factor"


def test_numeric_claim_to_the_digits_given() -> None:
    problem = Problem("(sigmoid(w*x) - y)^2/2", "w")
    point = {"w": Fraction(1, 2), "x": Fraction(1), "y": Fraction(0)}
    s = 1 / (1 + np.exp(-0.5))
    truth = (s - 0) * s * (1 - s) * 1.0  # by hand: 0.1462803...
    assert f"{truth:.7f}" == "0.1462803"

    def judged(claim: str) -> tuple[str, str | None]:
        verdict = check_number(problem, claim, point)
        return verdict.verdict, verdict.diagnosis

    assert judged("0.1463") == ("correct", None)  # correctly rounded
    assert judged("0.146") == ("correct", None)
    assert judged("0.15") == ("correct", None)
    assert judged("1.4628e-1") == ("correct", None)
    assert judged("0.1462") == ("incorrect", "rounding")  # truncated
    assert judged("0.1465") == ("incorrect", "rounding")  # two units off
    assert judged("0.1466") == ("incorrect", "wrong")
    assert judged("-0.1463") == ("incorrect", "sign_flip")
    assert judged("0") == ("incorrect", "wrong")  # 0 means exactly zero
    assert judged("0.1") == ("invalid", None)  # one significant figure
    assert judged("0.2") == ("invalid", None)
    # an exact expression is compared exactly
    assert judged("sigmoid(1/2)^2*(1 - sigmoid(1/2))") == ("correct", None)
    assert judged("sigmoid(w*x)^2*(1 - sigmoid(w*x))*x") == ("correct", None)
    assert judged("0.25*(1 - 0.25)*0.78") == ("incorrect", "wrong")
    missing = check_number(problem, "0.15", {"w": Fraction(1, 2)})
    assert missing.verdict == "invalid" and "missing: x, y" in missing.message


def test_numbers_that_passed_too_easily_before() -> None:
    """From the issue: 0 passed for any gradient under 0.5, 138.9 for 138.8338."""
    problem = Problem("w^3*x/3", "w")  # ∂/∂w = w²x; at w = 11.78277, x = 1: 138.8337 by hand
    point = {"w": Fraction("11.78277"), "x": Fraction(1)}
    assert 11.78277**2 == pytest.approx(138.83366, abs=1e-5)
    assert check_number(problem, "138.8", point).verdict == "correct"
    assert check_number(problem, "138.83", point).verdict == "correct"
    assert check_number(problem, "138.9", point).diagnosis == "rounding"
    assert check_number(problem, "139.0", point).verdict == "incorrect"
    # a truth of exactly zero takes 0
    zero = check_number(Problem("w*x", "w"), "0", {"w": Fraction(3), "x": Fraction(0)})
    assert zero.verdict == "correct"


def test_specs_are_validated() -> None:
    problem = problem_from_specs("(a - y)^2", "a", ["a=sigmoid(z)"], [], ["y=unit"])
    assert problem.domains == {"y": "unit"}
    verdict = check(Problem("w*x", "w", (), {"q": (2, 1)}), "x")
    assert verdict.verdict == "invalid" and "shape q" in verdict.message


def test_greek_names_answer_to_ascii_spelling() -> None:
    problem = Problem("(w - η*g)^2/2 + λ*w", "η")
    assert check(problem, "-(w - eta*g)*g").verdict == "correct"
    assert check(Problem("(w - eta*g)^2/2", "eta"), "-(w - η*g)*g").verdict == "correct"


def test_the_answer_itself_is_never_named_as_a_missing_factor() -> None:
    """d relu(z)/dz = step(z) by hand; sign(z) is −1 where it should be 0. sign·step = step, so
    "missing a factor of relu'(z)" was true and useless: the factor was the answer."""
    verdict = check(Problem("relu(z)", "z"), "sign(z)")
    assert verdict.verdict == "incorrect" and verdict.diagnosis == "wrong"
    assert verdict.factor is None
