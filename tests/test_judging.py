"""Judging right (no false accepts, no false rejects): identically zero gradients, the ReLU mask,
and the classic slips. Truths come from sympy.diff of definitions written out here, or from
identities every course proves (Σ softmax = 1, so its gradient is zero)."""

from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp

from backprop_coach.expr.problem import Problem
from backprop_coach.grading.grader import check
from backprop_coach.grading.point import check_number
from tests.problems import SIGMOID_LAYER_LETS, SIGMOID_LAYER_SHAPES

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
    assert tiny.counterexample.truth != 0.0  # shown to 9 significant digits


def test_the_counterexample_of_a_zero_truth_prints_zeros_not_noise() -> None:
    verdict = check(SOFTMAX_SUM, "softmax(z)")
    assert verdict.counterexample.truth == [0.0, 0.0, 0.0]


def test_relu_mask_with_step_of_the_activation() -> None:
    """step(a) for a = relu(z) is relu'(z): step(0) = 0, as PyTorch, JAX and TensorFlow use."""
    relu = Problem("(a - y)^2/2", "w", (("z", "w*x + b"), ("a", "relu(z)")))
    for claim in (
        "(a - y)*step(a)*x",
        "(a - y)*step(z)*x",
        "(a - y)*(z > 0)*x",
        "(a - y)*(a > 0)*x",
    ):
        assert check(relu, claim).verdict == "correct", claim
    assert check(relu, "(a - y)*x").diagnosis == "missing_factor"
    assert check(relu, "(a - y)*(z >= 0)*x").verdict == "correct"  # differs only at z = 0


def test_an_infinite_or_overflowing_claim_is_never_within_tolerance() -> None:
    """Dividing by relu' (inf where z <= 0) and exp(1000) were called correct once."""
    relu = Problem("(relu(w*x) - y)^2/2", "w")
    assert check(relu, "(relu(w x) - y) x / step(w x)").verdict == "incorrect"
    matrix = Problem("sum((relu(W@x) - y)^2)/2", "W", (), {"W": (2, 3), "x": (3, 1), "y": (2, 1)})
    assert check(matrix, "((relu(W x) - y) / relu'(W x)) x.T").verdict == "incorrect"
    neuron = Problem("(a - y)^2/2", "w", (("z", "w*x + b"), ("a", "sigmoid(z)")))
    for claim in ("exp(1000)", "-exp(800)", "10^100*10^100*10^100*10^100", "1/(x - x)", "sqrt(-1)"):
        assert check(neuron, claim).verdict == "incorrect", claim


def test_targets_in_the_row_layout() -> None:
    """softmax(z) - y for a one-hot or probability row (PyTorch layout), and a batch of rows."""
    row = {"z": (1, 3), "y": (1, 3)}
    for domain in ("onehot", "simplex"):
        problem = Problem("-sum(y*log(softmax(z)))", "z", (), row, {"y": domain})
        assert check(problem, "softmax(z) - y").verdict == "correct", domain
    torch = Problem(
        "-sum(y*log(p))",
        "W",
        (("p", "softmax(x W)"),),
        {"W": (2, 3), "x": (1, 2), "y": (1, 3)},
        {"y": "onehot"},
    )
    assert check(torch, "x.T (p - y)").verdict == "correct"
    batch = {"Z": (4, 3), "Y": (4, 3)}
    loss = "-sum(Y*(Z - log(sum(exp(Z), axis=1))))"
    for domain in ("onehot_rows", "simplex_rows"):
        problem = Problem(loss, "Z", (), batch, {"Y": domain})
        assert check(problem, "exp(Z)/sum(exp(Z), axis=1) - Y").verdict == "correct", domain
    hint = check(Problem(loss, "Z", (), batch), "exp(Z)/sum(exp(Z), axis=1) - Y")
    assert hint.diagnosis == "domain" and "--domain Y=onehot_rows" in hint.message


def test_wrong_argument_names_the_swap() -> None:
    sigmoid = Problem("(a - y)^2/2", "w", (("z", "w*x + b"), ("a", "sigmoid(z)")))
    verdict = check(sigmoid, "(a - y)*sigmoid'(a)*x")
    assert verdict.diagnosis == "wrong_argument"
    assert "sigmoid'(a) should be sigmoid'(z)" in verdict.message
    tanh = Problem("(a - y)^2/2", "w", (("z", "w*x + b"), ("a", "tanh(z)")))
    verdict = check(tanh, "(a - y)*(1 - z^2)*x")
    assert verdict.diagnosis == "wrong_argument" and "used z where a belongs" in verdict.message


def test_elementwise_factor_repeated_across_a_matrix() -> None:
    """δ xᵀ without σ'(z): the factor is the same in every column of ∂L/∂W."""
    problem = Problem("sum((a - y)^2)/2", "W", SIGMOID_LAYER_LETS, SIGMOID_LAYER_SHAPES)
    missing = check(problem, "(a - y) x.T")
    assert missing.diagnosis == "missing_factor" and "sigmoid'(z)" in missing.message
    extra = check(problem, "((a - y)*sigmoid'(z)*sigmoid'(z)) x.T")
    assert extra.diagnosis == "extra_factor"


def test_a_domain_hint_only_for_a_simplification() -> None:
    """δ·Σx is right when x sums to 1, but it is a slip, not an assumption: no hint."""
    lets = (("z", "W@x + b"), ("a", "sigmoid(z)"))
    shapes = {"W": (2, 3), "x": (3, 1), "b": (2, 1), "y": (2, 1)}
    problem = Problem("sum((a - y)^2)/2", "z", lets, shapes)
    assert check(problem, "(a - y)*a*(1 - a)*sum(x)").diagnosis == "wrong"
    l1 = check(Problem("(w*x - y)^2/2 + λ*abs(w)", "w"), "(w*x - y)*x + λ")
    assert l1.diagnosis == "domain" and "--domain w=positive" in l1.message


def test_an_undefined_claim_is_wrong_even_where_the_truth_is_zero() -> None:
    problem = Problem("step(w) + x", "w")  # ∂/∂w = 0 almost everywhere
    assert check(problem, "0").verdict == "correct"
    for claim in ("1/0", "0/0", "log(0)", "-log(0)"):
        assert check(problem, claim).verdict == "incorrect", claim


def test_a_claim_never_widens_its_own_tolerance() -> None:
    """Terms that cancel inside the claim (1e8 of them) must not buy it a slack of 1e-2."""
    problem = Problem("x^2/2", "x")
    assert check(problem, "x + 0.001 + 1e8*(x+1)^2 - 1e8*(x^2+2x+1)").verdict == "incorrect"
    assert (
        check(problem, "x + 1 + exp(40*x)*(1-x) + exp(40*x)*x - exp(40*x)").verdict == "incorrect"
    )
    # a claim that is exactly the truth but noisy in floats is proved and accepted
    zero = Problem("sum(softmax(z))", "z", (), {"z": (3, 1)})
    assert check(zero, "softmax(z) - softmax(z)*sum(softmax(z))").verdict == "correct"


def test_numbers_at_tiny_truths_are_judged_exactly() -> None:
    """σ'(30) = 9.3576e-14 by hand: no absolute floor may swallow it."""
    problem = Problem("sigmoid(w)", "w")
    at30 = {"w": Fraction(30)}
    e = math.exp(-30)  # σ(1 − σ) = e/(1 + e)², without 1 − σ's cancellation
    assert f"{e / (1 + e) ** 2:.4e}" == "9.3576e-14"
    assert check_number(problem, "2*exp(-30)", at30).verdict == "incorrect"  # a factor of 2
    assert check_number(problem, "-sigmoid(30)*(1 - sigmoid(30))", at30).diagnosis == "sign_flip"
    assert check_number(problem, "0", at30).verdict == "incorrect"
    assert check_number(problem, "9.358e-14", at30).verdict == "correct"
    at33 = {"w": Fraction(33)}
    assert check_number(problem, "4.0e-15", at33).verdict == "incorrect"  # 4.66e-15
    assert check_number(problem, "4.7e-15", at33).verdict == "correct"


def test_a_number_in_scientific_notation_keeps_its_figures() -> None:
    """σ(0.5)·σ'(0.5) = 0.14628025 by hand: every way of writing 1.463 × 10⁻¹ is that number
    correctly rounded, not an exact expression 0.1463 compared with the exact truth."""
    neuron = Problem("(sigmoid(w*x) - y)^2/2", "w")
    point = {"w": Fraction(1, 2), "x": Fraction(1), "y": Fraction(0)}
    for written in ("1.463e-1", r"1.463 \cdot 10^{-1}", "1.4628*10^-1", "1.4628 × 10^{-1}",
                    "1.463·10⁻¹", "1.463 × 10^{- 1}", "(1.463 × 10^{-1})",
                    "1.463 ⋅ 10^{-1}"):  # fmt: skip
        assert check_number(neuron, written, point).verdict == "correct", written
    assert check_number(neuron, "1.462 × 10^{-1}", point).diagnosis == "rounding"  # truncated
    # "x" is a times sign where no name is x; where x is a name, "1 x 10^0" is 1·x·10⁰ = x
    plain = Problem("w*v", "w")
    assert check_number(plain, "1.463 x 10^(-1)", {"w": Fraction(1), "v": Fraction(1463, 10000)}).verdict == "correct"
    assert check_number(Problem("w*x", "w"), "1 x 10^0", {"w": Fraction(1), "x": Fraction(3)}).verdict == "correct"


def test_zero_with_decimals_shows_no_figure() -> None:
    """0.000 at σ'(30) = 9.36e-14 says nothing about what was computed: refused, not judged;
    where the truth is exactly 0 it is that value."""
    problem = Problem("sigmoid(w)", "w")
    assert check_number(problem, "0.000", {"w": Fraction(30)}).verdict == "invalid"
    assert check_number(Problem("w^2", "w"), "0.000", {"w": Fraction(0)}).verdict == "correct"


def test_an_exact_value_is_right_whatever_its_figures() -> None:
    assert check_number(Problem("w^2/2", "w"), "0.5", {"w": Fraction(1, 2)}).verdict == "correct"
    assert check_number(Problem("x", "x"), "1", {"x": Fraction(1, 2)}).verdict == "correct"
    assert check_number(Problem("w^2/2", "w"), "0.6", {"w": Fraction(1, 2)}).verdict == "invalid"
    neuron = Problem("(a - y)^2/2", "w", (("z", "w*x + b"), ("a", "sigmoid(z)")))
    point = {"w": Fraction(1, 2), "x": Fraction(1), "b": Fraction(0), "y": Fraction(0)}
    assert check_number(neuron, "(a - y)*a*(1 - a)*x", point).verdict == "correct"  # with lets
    assert check_number(neuron, "1.5e999", point).verdict == "invalid"


def test_claims_wrong_only_where_few_points_fall_are_caught() -> None:
    """From an adversarial session: each claim below is wrong on an interval or beyond ±3."""
    z2 = Problem("z^2/2", "z")
    for claim in ("z + (z > -0.4)*(z < 0.2)", "min(z, 3)", "z + step(z - 3.5)"):
        assert check(z2, claim).verdict == "incorrect", claim
    huber = Problem("(z^2/2)*(abs(z) <= 4) + (4*abs(z) - 8)*(abs(z) > 4)", "z")  # δ = 4
    assert check(huber, "z").verdict == "incorrect"
    assert check(huber, "z*(abs(z) <= 4) + 4*sign(z)*(abs(z) > 4)").verdict == "correct"
    clip = Problem("min(max(z, -5), 5)^2/2", "z")
    assert check(clip, "z").verdict == "incorrect"
    assert check(clip, "z*(abs(z) < 5)").verdict == "correct"
    log = Problem("log(x)", "x", (), {}, {"x": "positive"})
    assert check(log, "1/max(x, 0.1)").verdict == "incorrect"
    assert check(log, "1/x").verdict == "correct"


def test_the_absolute_tolerance_is_per_point() -> None:
    assert check(Problem("exp(12*z)/12", "z"), "exp(12*z) + 1").verdict == "incorrect"
    assert check(Problem("z^20/20", "z"), "z^19 + 0.0005").verdict == "incorrect"


def test_large_cancelling_terms_in_the_truth_buy_no_slack_for_zero() -> None:
    problem = Problem("(sigmoid(z) + 1e10)^2/2 - 1e10*sigmoid(z)", "z")  # truth σ(z)σ'(z)
    assert check(problem, "0").verdict == "incorrect"
    assert check(problem, "sigmoid(z)*sigmoid'(z)").verdict == "correct"


def test_a_right_claim_that_overflows_in_floats_is_proved() -> None:
    problem = Problem("softplus(300*z)", "z")
    assert check(problem, "300*exp(300*z)/(1 + exp(300*z))").verdict == "correct"
    assert check(problem, "300*exp(300*z)/(2 + exp(300*z))").verdict == "incorrect"


def test_numbers_have_no_generous_relative_slack() -> None:
    square = Problem("w^2/2", "w")
    assert check_number(square, "1000000000999", {"w": Fraction(10**12)}).verdict == "incorrect"
    near_one = {"w": Fraction("1.0000000004")}
    assert check_number(square, "1.0000000014", near_one).verdict == "incorrect"
    assert check_number(square, "1.0000000004", near_one).verdict == "correct"
    assert check_number(square, "1 + 1/10^10", {"w": Fraction(1)}).verdict == "incorrect"


def test_an_exact_kink_is_judged_at_the_kink() -> None:
    """tanh² + sech² = 1, so the argument of relu is exactly 0 and relu' = step(0) = 0."""
    problem = Problem("relu(x*(tanh(w)^2 + sech(w)^2) - 1)", "x")
    point = {"w": Fraction(1, 2), "x": Fraction(1)}
    assert check_number(problem, "0", point).verdict == "correct"
    assert check_number(problem, "1", point).verdict == "incorrect"


def test_long_decimals_and_exact_expressions_are_judged_on_every_digit() -> None:
    """σ(½)²(1 − σ(½)) = 0.14628025352695761481… (SymPy to 40 digits, checked by mpmath)."""
    import mpmath

    mpmath.mp.dps = 40
    s = 1 / (1 + mpmath.exp(-0.5))
    assert mpmath.nstr(s * s * (1 - s), 20) == "0.14628025352695761481"
    problem = Problem("(sigmoid(w*x) - y)^2/2", "w")
    point = {"w": Fraction(1, 2), "x": Fraction(1), "y": Fraction(0)}
    assert check_number(problem, "0.1462802535269576148", point).verdict == "correct"
    assert check_number(problem, "0.1462802535269577", point).diagnosis == "rounding"
    assert check_number(problem, "0.146280253526957614899", point).verdict == "incorrect"
    exact = "sigmoid(0.5)^2*(1 - sigmoid(0.5))"
    assert check_number(problem, exact, point).verdict == "correct"
    assert check_number(problem, exact + " + 10^-40", point).verdict == "incorrect"
    one = {"w": Fraction(1)}
    square = Problem("w^2/2", "w")
    for claim in ("1 + 10^-17", "w + exp(-200)", "1/(1 - exp(-200))", "1.0000000000000001"):
        assert check_number(square, claim, one).verdict == "incorrect", claim
    assert check_number(square, "w*exp(exp(10))", one).verdict == "invalid"  # no OverflowError
    assert check_number(Problem("w*exp(exp(10))", "w"), "1.0", one).verdict == "invalid"


def test_a_column_one_hot_declared_on_a_batch_of_rows_gets_the_row_hint() -> None:
    shapes = {"X": (4, 3), "W": (3, 2), "b": (1, 2), "Y": (4, 2)}
    loss = "-sum(Y*log(softmax(X@W + b, axis=1)))/4"
    claim = "X^T (softmax(X W + b, axis=1) - Y)/4"
    for domains, fragment in (({"Y": "onehot"}, "for a batch of rows use --domain Y=onehot_rows"),
                              ({}, "add --domain Y=onehot_rows")):  # fmt: skip
        verdict = check(Problem(loss, "W", (), shapes, domains), claim)
        assert verdict.diagnosis == "domain" and fragment in verdict.message
    assert check(Problem(loss, "W", (), shapes, {"Y": "onehot_rows"}), claim).verdict == "correct"


def test_a_counterexample_shows_lambda_positive_but_grading_draws_it_real() -> None:
    """λ is pictured positive, so a counterexample is chosen where it is; but it is drawn from
    the reals like any undeclared name, since ε is also a VAE's noise and λ a Lagrange
    multiplier of either sign: |ε| for ε is wrong (by hand, ∂/∂s of (μ + sε − y)²/2 is
    ε(μ + sε − y)), and so is |λ| for λ unless --domain says λ is positive."""
    for name in ("λ", "lam", "lambda"):
        ridge = Problem(f"(w*x - y)^2/2 + {name}/2*w^2", "w")
        wrong = check(ridge, "(w*x - y)*x")
        assert wrong.verdict == "incorrect"
        assert wrong.counterexample.point[name] > 0
        assert check(ridge, f"(w*x - y)*x + abs({name})*w").verdict == "incorrect"
        declared = Problem(ridge.loss, "w", domains={name: "positive"})
        assert check(declared, f"(w*x - y)*x + abs({name})*w").verdict == "correct"
    vae = Problem("(mu + s*eps - y)^2/2", "s")
    assert check(vae, "(mu + s*eps - y)*abs(eps)").verdict == "incorrect"
    assert check(vae, "(mu + s*eps - y)*eps").verdict == "correct"


def test_a_counterexample_shows_exact_values_where_floats_cancel() -> None:
    """w + (1e16 + 1) − 1e16 is w + 1 (by hand), but 0.0 + w in floats: the verdict was right
    before, and now the value printed beside it is too."""
    verdict = check(Problem("w^2/2", "w"), "w + (1e16 + 1) - 1e16")
    assert verdict.verdict == "incorrect"
    shown = verdict.counterexample
    w = shown.point["w"]
    assert math.isclose(shown.claim, w + 1, rel_tol=1e-5)
    assert math.isclose(shown.truth, w, rel_tol=1e-5)


def test_a_counterexample_shows_the_quantities_on_the_way() -> None:
    """z and a at the counterexample's point, as a learner computes them by hand:
    z = w·x + b, a = σ(z), from the point's own (rounded) numbers."""
    problem = Problem("(a - y)^2/2", "w", (("z", "w*x + b"), ("a", "sigmoid(z)")))
    shown = check(problem, "(a - y)*x + w").counterexample
    at = shown.point
    z = at["w"] * at["x"] + at["b"]
    assert math.isclose(shown.lets["z"], z, rel_tol=1e-5, abs_tol=1e-5)
    assert math.isclose(shown.lets["a"], 1 / (1 + math.exp(-z)), rel_tol=1e-5)


def test_a_missing_transpose_on_a_square_matrix_is_named() -> None:
    """∂/∂x of Σ(Wx − y)²/2 is Wᵀ(Wx − y) (by hand); with a square W, W(Wx − y) has the right
    shape, so shapes cannot catch it: the diagnosis names the transpose. The delta recurrence
    likewise: W2 δ2 for W2ᵀ δ2 with a 3x3 W2."""
    square = Problem("sum((W@x - y)^2)/2", "x", shapes={"W": (3, 3), "x": (3, 1), "y": (3, 1)})
    verdict = check(square, "W @ (W@x - y)")
    assert verdict.diagnosis == "transposed" and "W.T belongs" in verdict.message
    assert check(square, "W.T @ (W@x - y)").verdict == "correct"
    lets = (("z1", "W1@x"), ("a1", "sigmoid(z1)"), ("z2", "W2@a1"), ("a2", "sigmoid(z2)"))
    shapes = {"W1": (3, 3), "W2": (3, 3), "x": (3, 1), "y": (3, 1)}
    net = Problem("sum((a2 - y)^2)/2", "z1", lets, shapes)
    delta2 = "((a2 - y)*a2*(1 - a2))"
    assert check(net, f"(W2 @ {delta2})*a1*(1 - a1)").diagnosis == "transposed"
