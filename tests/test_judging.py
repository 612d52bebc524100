"""Judging right (no false accepts, no false rejects): identically zero gradients, the ReLU mask,
and the classic slips. Truths come from sympy.diff of definitions written out here, or from
identities every course proves (Σ softmax = 1, so its gradient is zero)."""

from __future__ import annotations

import sympy as sp

from backprop_coach.grading.grader import check
from backprop_coach.grading.problem import Problem

SOFTMAX_SUM = Problem("sum(softmax(z))", "z", (), {"z": (3, 1)})
# Σ of batch-normalised x is zero whatever x is: Σ (x - mean)/std = 0
BN_SUM = Problem("sum((x - mean(x))/sqrt(mean((x - mean(x))^2) + 0.001))", "x", (), {"x": (4, 1)})
ZERO_MATRIX = Problem("sum(softmax(W @ x)) + 3", "W", (), {"W": (3, 2), "x": (2, 1)})


def test_the_oracles_are_zero() -> None:
    z = sp.symbols("z0:3", real=True)
    total = sum(sp.exp(v) for v in z)
    assert all(sp.simplify(sp.diff(sum(sp.exp(v) / total for v in z), v)) == 0 for v in z)


def test_identically_zero_truths_accept_zero_in_every_form() -> None:
    for problem, claims in (
        (SOFTMAX_SUM, ["0", "0*z", "z - z", "softmax(z) - softmax(z)*sum(softmax(z))"]),
        (BN_SUM, ["0", "0*x"]),
        (ZERO_MATRIX, ["0", "0*W", "0*W + 0*x.T @ x", "0 * (W x) x.T"]),
        (Problem("0*w^2 + y", "w"), ["0"]),
    ):
        for claim in claims:
            verdict = check(problem, claim)
            assert verdict.verdict == "correct", (problem.loss, claim, verdict.message)


def test_small_but_real_differences_from_zero_are_rejected() -> None:
    # 1e-6 of the terms' scale (the softmax entries are of order 0.1 to 1) is a real slip
    assert check(SOFTMAX_SUM, "1e-6*softmax(z)").verdict == "incorrect"
    assert check(SOFTMAX_SUM, "0*z + 1e-9").verdict == "incorrect"
    assert check(ZERO_MATRIX, "1e-7*W").verdict == "incorrect"
    # a tiny but non-zero truth is not zero
    tiny = check(Problem("exp(-40)*w^2", "w"), "0")
    assert tiny.verdict == "incorrect"
    assert tiny.details["counterexample"]["truth"] != 0.0  # shown to 9 significant digits


def test_the_counterexample_of_a_zero_truth_prints_zeros_not_noise() -> None:
    verdict = check(SOFTMAX_SUM, "softmax(z)")
    assert verdict.details["counterexample"]["truth"] == [0.0, 0.0, 0.0]


def test_relu_mask_with_step_of_the_activation() -> None:
    """step(a) for a = relu(z) is relu'(z): step(0) = 0, as PyTorch, JAX and TensorFlow use."""
    relu = Problem("(a - y)^2/2", "w", (("z", "w*x + b"), ("a", "relu(z)")))
    for claim in ("(a - y)*step(a)*x", "(a - y)*step(z)*x", "(a - y)*(z > 0)*x", "(a - y)*(a > 0)*x"):
        assert check(relu, claim).verdict == "correct", claim
    assert check(relu, "(a - y)*x").diagnosis == "missing_factor"
    assert check(relu, "(a - y)*(z >= 0)*x").verdict == "correct"  # differs only at z = 0
