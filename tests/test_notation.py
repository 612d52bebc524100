"""The notation learners write: products side by side, transposes, primes and powers of
functions, the functions of common losses, broadcasting, axis sums, comparisons, and the errors
that teach. Every value and derivative is compared with an independent oracle: numpy written
here, finite differences, or sympy.diff of a definition written out by hand."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_coach.expr.errors import ExprError, NameError_, ParseError, ShapeError
from backprop_coach.expr.parse import parse
from backprop_coach.expr.problem import Problem
from backprop_coach.expr.symbolic import BuildLog, Scope, build, symbols_for
from backprop_coach.expr.tensor import Points
from backprop_coach.grading.grader import check
from backprop_coach.grading.setting import build_setting
from tests.problems import SIGMOID_LAYER_LETS, SIGMOID_LAYER_SHAPES

RNG = np.random.default_rng(7)
ROW = {"X": (4, 3), "W": (3, 2), "b": (1, 2), "Y": (4, 2)}  # PyTorch layout: a batch of rows
ROW_LOSS = "sum((X@W + b - Y)^2)/2"


def scope_of(shapes: dict[str, tuple[int, int]], scalars: tuple[str, ...] = ()) -> Scope:
    values = {n: symbols_for(n, s) for n, s in shapes.items()}
    values.update({n: sp.Symbol(n, real=True) for n in scalars})
    return Scope(values)


def read(text: str, scope: Scope) -> tuple[str, object, BuildLog]:
    log, tree = BuildLog(), parse(text).tree
    value = build(tree, scope, log)
    return log.echo(tree), value, log


def numbers(value: object, scope: Scope, draws: dict[str, np.ndarray]) -> np.ndarray:
    """The value at one point, with every name's entries taken from `draws` (SymPy's own
    evaluation, independent of the grader's numeric graph)."""
    env: dict[sp.Symbol, sp.Float] = {}
    for name, symbol in scope.values.items():
        entries = list(symbol) if isinstance(symbol, sp.MatrixBase) else [symbol]
        for s, v in zip(entries, np.ravel(draws[name]), strict=True):
            env[s] = sp.Float(float(v), 30)
    entries = list(value) if isinstance(value, sp.MatrixBase) else [value]  # type: ignore[call-overload]
    shape = value.shape if isinstance(value, sp.MatrixBase) else (1, 1)
    exact = [float(sp.sympify(e).xreplace(env).rewrite(sp.exp).evalf(30)) for e in entries]
    return np.array(exact).reshape(shape)


# -- 1. products ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "echo"),
    [
        ("(A - Y) X.T", "(A - Y) @ X.T"),  # matrices side by side: the matrix product
        ("(A - Y)·X.T", "(A - Y) @ X.T"),
        ("2 X", "2*X"),  # a scalar beside a matrix: elementwise
        ("u·v", "dot(u, v)"),  # two vectors of the same length: the dot product
        ("u v", "u*v"),  # side by side, not conforming: elementwise
        ("u v.T", "u @ v.T"),  # a column beside a row: the outer product
        ("u.T v", "u.T @ v"),
    ],
)
def test_products_are_read_by_shape_and_echoed_explicitly(text: str, echo: str) -> None:
    scope = scope_of({"A": (2, 4), "Y": (2, 4), "X": (3, 4), "u": (3, 1), "v": (3, 1)})
    assert read(text, scope)[0] == echo


def test_product_values_match_numpy() -> None:
    shapes = {"A": (2, 4), "Y": (2, 4), "X": (3, 4), "u": (3, 1), "v": (3, 1)}
    scope = scope_of(shapes)
    draws = {n: RNG.normal(size=s) for n, s in shapes.items()}
    A, Y, X, u, v = (draws[n] for n in "AYXuv")
    oracle = {
        "(A - Y) X.T": (A - Y) @ X.T,
        "u·v": np.array([[float(u[:, 0] @ v[:, 0])]]),
        "dot(u, v)": np.array([[float(u[:, 0] @ v[:, 0])]]),
        "u v": u * v,
        "outer(u, v)": np.outer(u, v),
    }
    for text, expected in oracle.items():
        got = numbers(read(text, scope)[1], scope, draws)
        np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=text)


def test_the_tools_own_hint_is_accepted_when_typed() -> None:
    # ∂L/∂W² = δ² (a¹)ᵀ, written as the hints and textbooks write it
    lets = (("z1", "W1@x + b1"), ("a1", "sigmoid(z1)"), ("z2", "W2@a1 + b2"), ("a2", "sigmoid(z2)"))
    shapes = {"W1": (3, 2), "b1": (3, 1), "W2": (2, 3), "b2": (2, 1), "x": (2, 1), "y": (2, 1)}
    problem = Problem("sum((a2 - y)^2)/2", "W2", lets, shapes)
    for claim in (
        "((a2 - y) ⊙ a2 ⊙ (1 - a2)) (a1)ᵀ",
        "((a2 - y)*sigma'(z2)) a1^T",
        r"\left((a_2 - y) \odot \sigma'(z_2)\right) a_1^{\top}",
    ):
        assert check(problem, claim).verdict == "correct", claim


# -- 2. transposes ----------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["X.T", "Xᵀ", "X^T", "X^⊤", "X^ᵀ", "X⊤", r"X^{T}", r"X^\top"])
def test_every_transpose_spelling(spelling: str) -> None:
    scope = scope_of({"X": (3, 2)})
    value = read(spelling, scope)[1]
    assert value == symbols_for("X", (3, 2)).T  # type: ignore[union-attr]


def test_x_caret_t_with_a_declared_t_is_ambiguous_and_says_both_ways() -> None:
    scope = scope_of({"X": (3, 2)}, scalars=("T",))
    with pytest.raises(NameError_, match=r"ambiguous.*X\.T"):
        read("X^T", scope)
    # on a scalar there is nothing to transpose: a power
    scalar = scope_of({}, scalars=("x", "T"))
    assert read("x^T", scalar)[1] == sp.Symbol("x", real=True) ** sp.Symbol("T", real=True)


@pytest.mark.parametrize("text", ["x'", "(a + b)'", "x' W"])
def test_a_prime_is_no_transpose_and_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ParseError, match=r"x\.T or xᵀ"):
        parse(text)


# -- 3. primes and powers of functions ------------------------------------------------------

Z = sp.Symbol("z", real=True)
SIGMA = 1 / (1 + sp.exp(-Z))  # written out: the oracle does not use our sigmoid


@pytest.mark.parametrize(
    ("spelling", "oracle"),
    [
        ("sigma'(z)", sp.diff(SIGMA, Z)),
        ("σ'(z)", sp.diff(SIGMA, Z)),
        (r"\sigma'(z)", sp.diff(SIGMA, Z)),
        ("sigmoid'(z)", sp.diff(SIGMA, Z)),
        ("tanh'(z)", sp.diff(sp.tanh(Z), Z)),
        ("softplus'(z)", sp.diff(sp.log(1 + sp.exp(Z)), Z)),
        ("relu'(z)", sp.Piecewise((1, Z > 0), (0, True))),
        ("leaky_relu'(z)", sp.Piecewise((1, Z > 0), (sp.Rational(1, 100), True))),
        ("tanh^2(z)", sp.tanh(Z) ** 2),
        ("tanh²(z)", sp.tanh(Z) ** 2),
        ("1 - tanh^2(z)", 1 - sp.tanh(Z) ** 2),
        ("σ^2(z)", SIGMA**2),
        ("z²", Z**2),
        ("z³ + 1", Z**3 + 1),
    ],
)
def test_primes_and_powers_of_functions(spelling: str, oracle: sp.Expr) -> None:
    scope = scope_of({}, scalars=("z",))
    value = read(spelling, scope)[1]
    for z in (-2.3, -0.4, 0.7, 1.9):
        got = numbers(value, scope, {"z": np.array(z)})[0, 0]
        assert got == pytest.approx(float(oracle.subs(Z, z)), rel=1e-12), spelling


# -- 4. functions: each value against numpy/math, each derivative against finite differences --

FUNCTIONS_1 = {
    "sign(x)": np.sign,
    "cosh(x)": np.cosh,
    "sinh(x)": np.sinh,
    "erf(x)": np.vectorize(math.erf),
    "max(x, 0.1*x)": lambda x: np.maximum(x, 0.1 * x),
    "min(x, 1)": lambda x: np.minimum(x, 1.0),
    "leaky_relu(x)": lambda x: np.where(x > 0, x, 0.01 * x),
    "leaky_relu(x, 0.2)": lambda x: np.where(x > 0, x, 0.2 * x),
    "pi*x": lambda x: math.pi * x,
    "π*x": lambda x: math.pi * x,
    "x*(1 + erf(x/sqrt(2)))/2": lambda x: x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))) / 2,
    "log(cosh(x))": lambda x: np.log(np.cosh(x)),
    "sech(x)^2": lambda x: 1 / np.cosh(x) ** 2,
    "e^x + x*e": lambda x: np.exp(x) + x * math.e,
    "(x > 0)": lambda x: (x > 0).astype(float),
    "(x >= 0.5) + (x <= -0.5) + (x < 0)": lambda x: (
        (x >= 0.5).astype(float) + (x <= -0.5) + (x < 0)
    ),
}


@pytest.mark.parametrize("text", list(FUNCTIONS_1))
def test_scalar_function_values_and_derivatives(text: str) -> None:
    f = FUNCTIONS_1[text]
    setting = build_setting(Problem(text, "x"))
    h = 1e-6
    for x in (-1.7, -0.3, 0.45, 1.2):
        points = Points({"x": np.full((1, 1, 1), x)}, 1)
        assert setting.loss_values(points)[0] == pytest.approx(float(f(np.array(x))), rel=1e-12)
        slope = (float(f(np.array(x + h))) - float(f(np.array(x - h)))) / (2 * h)
        assert points.values(setting.truth)[0, 0, 0] == pytest.approx(
            slope, rel=1e-6, abs=1e-8
        ), text


VECTOR = {
    "norm(v)": lambda v, M: np.linalg.norm(v),
    "norm(M)": lambda v, M: np.linalg.norm(M),
    "trace(M @ M.T)": lambda v, M: np.trace(M @ M.T),
    "logsumexp(v)": lambda v, M: np.log(np.exp(v).sum()),
    "sum(log_softmax(v)*w)": lambda v, M: float(((v - np.log(np.exp(v).sum())) * W3).sum()),
    "dot(v, w)": lambda v, M: float(v[:, 0] @ W3[:, 0]),
    "v·w": lambda v, M: float(v[:, 0] @ W3[:, 0]),
    "sum(outer(v, w)*M3)": lambda v, M: float((np.outer(v, W3) * M3).sum()),
    "Σ(v^2)": lambda v, M: float((v**2).sum()),
    "∑(v^2)": lambda v, M: float((v**2).sum()),
    "sum(sum(M, axis=0)^2)": lambda v, M: float((M.sum(axis=0) ** 2).sum()),
    "sum(sum(M, 1)^3)": lambda v, M: float((M.sum(axis=1) ** 3).sum()),
    "sum(mean(M, axis=0)*r)": lambda v, M: float((M.mean(axis=0, keepdims=True) * R2).sum()),
    "sum(mean(M, axis=1)*v)": lambda v, M: float((M.mean(axis=1, keepdims=True) * v).sum()),
    "sum(softmax(v.T)*w.T)": lambda v, M: float((np.exp(v) / np.exp(v).sum() * W3).sum()),
}
W3 = np.array([[0.3], [-1.1], [0.8]])
M3 = np.array([[0.5, -0.2, 1.0], [0.1, 0.9, -0.7], [1.3, -0.4, 0.2]])
R2 = np.array([[0.6, -1.4]])


@pytest.mark.parametrize("text", list(VECTOR))
def test_vector_functions_values_and_gradients(text: str) -> None:
    """Value against numpy, gradient with respect to v or M against finite differences."""
    f = VECTOR[text]
    used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    wrt = "M" if "M" in used else "v"
    shapes = {"v": (3, 1), "M": (3, 2), "w": (3, 1), "M3": (3, 3), "r": (1, 2)}
    problem = Problem(text, wrt, (), {n: s for n, s in shapes.items() if n in used})
    setting = build_setting(problem)
    draws = {"v": RNG.normal(size=(3, 1)), "M": RNG.normal(size=(3, 2))}
    fixed = {"w": W3, "M3": M3, "r": R2}
    arrays = {name: np.asarray(draws.get(name, fixed.get(name)))[None] for name in setting.primaries}
    points = Points(arrays, 1)
    v, M = draws["v"], draws["M"]
    assert setting.loss_values(points)[0] == pytest.approx(float(f(v, M)), rel=1e-10)
    base = draws[wrt]
    numeric = np.zeros_like(base)
    for index in np.ndindex(base.shape):
        step = np.zeros_like(base)
        step[index] = 1e-6
        up = f(v + step, M) if wrt == "v" else f(v, M + step)
        down = f(v - step, M) if wrt == "v" else f(v, M - step)
        numeric[index] = (up - down) / 2e-6
    got = points.values(setting.truth)[0]
    np.testing.assert_allclose(got, numeric, rtol=1e-5, atol=1e-7, err_msg=text)


def test_axis_sums_keep_dimensions_as_numpy() -> None:
    scope = scope_of({"M": (3, 2)})
    assert read("sum(M, axis=0)", scope)[1].shape == (1, 2)  # type: ignore[union-attr]
    assert read("sum(M, 1)", scope)[1].shape == (3, 1)  # type: ignore[union-attr]
    assert read("mean(M, axis = 1)", scope)[0] == "mean(M, axis=1)"
    assert read("sum(M, axis=-1)", scope)[0] == "sum(M, axis=1)"  # numpy's -1 is the last axis
    for bad in ("sum(M, axis=2)", "sum(M, axis=0.5)", "sum(M, axis=M)", "sum(M, axis 0)"):
        with pytest.raises(ParseError, match="the axis is 0"):
            parse(bad)
    with pytest.raises(ParseError, match="takes no axis"):
        parse("exp(M, axis=0)")


# -- 5. broadcasting --------------------------------------------------------------------------


def test_row_bias_broadcasts_over_a_batch_and_says_so() -> None:
    scope = scope_of(ROW)
    echo, value, log = read("X W + b", scope)
    assert echo == "X @ W + b"
    assert log.notes == ["b (1x2) added to every row of X @ W (4x2) (broadcasting)"]
    draws = {n: RNG.normal(size=s) for n, s in ROW.items()}
    expected = draws["X"] @ draws["W"] + draws["b"]  # numpy's own broadcasting
    np.testing.assert_allclose(numbers(value, scope, draws), expected, rtol=1e-12)


def test_column_broadcasts_over_columns() -> None:
    scope = scope_of({"M": (3, 2), "c": (3, 1)})
    draws = {"M": RNG.normal(size=(3, 2)), "c": RNG.normal(size=(3, 1))}
    _, value, log = read("M / c", scope)
    np.testing.assert_allclose(numbers(value, scope, draws), draws["M"] / draws["c"], rtol=1e-12)
    assert "every column" in log.notes[0]


def test_a_column_and_a_row_broadcast_as_in_numpy() -> None:
    """δ * a.T in numpy is the outer product (3x1 with 1x3 gives 3x3), and the echo says so."""
    scope = scope_of({"c": (3, 1), "r": (1, 3)})
    draws = {"c": RNG.normal(size=(3, 1)), "r": RNG.normal(size=(1, 3))}
    for text, expected in (("c * r", draws["c"] * draws["r"]), ("c - r", draws["c"] - draws["r"])):
        _, value, log = read(text, scope)
        np.testing.assert_allclose(numbers(value, scope, draws), expected, rtol=1e-12)
        assert "a column and a row broadcast against each other" in log.notes[0]


@pytest.mark.parametrize(
    ("text", "shapes"),
    [("M + r", "3x2 and 1x3"), ("M * N", "3x2 and 2x3"), ("M * c.T", "3x2 and 1x3")],
)
def test_other_mismatches_name_both_shapes(text: str, shapes: str) -> None:
    scope = scope_of({"M": (3, 2), "r": (1, 3), "c": (3, 1), "N": (2, 3)})
    with pytest.raises(ShapeError, match=shapes):
        read(text, scope)


def test_row_layout_worked_example_from_the_readme() -> None:
    """dW, db, dX of sum((X@W + b - Y)^2)/2 in the batch-first layout, as PyTorch writes them."""
    right = {
        "W": ["X.T (X W + b - Y)", "X^T @ (X@W + b - Y)", r"X^{\top} \left(X W + b - Y\right)"],
        "b": ["sum(X W + b - Y, axis=0)", "Σ(X@W + b - Y, 0)"],
        "X": ["(X W + b - Y) W.T", "(X@W + b - Y) @ Wᵀ"],
    }
    for wrt, claims in right.items():
        problem = Problem(ROW_LOSS, wrt, (), ROW)
        for claim in claims:
            assert check(problem, claim).verdict == "correct", claim
    b = Problem(ROW_LOSS, "b", (), ROW)
    assert check(b, "X W + b - Y").diagnosis == "shape_mismatch"  # forgot the batch sum
    assert check(b, "sum(X W + b - Y, axis=1)").diagnosis == "shape_mismatch"
    assert check(Problem(ROW_LOSS, "W", (), ROW), "(X W + b - Y) X.T").diagnosis == "shape_error"


# -- 6. unknown functions, lookalikes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "fragment"),
    [
        ("log(cosch(a - y))", "unknown function cosch (did you mean cosh?)"),
        ("(sigmod(z) - y)^2", "did you mean sigmoid?"),
        ("(а - y)^2", "Cyrillic"),  # the first letter is Cyrillic а
        ("foo(a, y)", "unknown function foo"),
    ],
)
def test_unknown_functions_in_the_loss_are_errors(loss: str, fragment: str) -> None:
    with pytest.raises(ExprError, match=re.escape(fragment)):
        build_setting(Problem(loss, "y"))


def test_lookalike_in_a_claim_is_named() -> None:
    verdict = check(Problem("(a - y)^2/2", "a"), "а - y")  # Cyrillic а
    assert verdict.verdict == "invalid"
    assert "Cyrillic Small Letter A" in verdict.message


def test_a_declared_name_before_brackets_is_a_product() -> None:
    problem = Problem("(w(x + 1) - y)^2/2", "w")
    assert check(problem, "(w(x + 1) - y)(x + 1)").verdict == "correct"
    assert build_setting(problem).loss_read_as == "(w*(x + 1) - y)^2/2"


def test_sign_of_x_is_not_a_product_and_a_bare_function_is_refused() -> None:
    problem = Problem("sign(x)*x", "x")
    assert check(problem, "sign").verdict == "invalid"
    assert check(problem, "sign(x)").verdict == "correct"  # d(|x|)/dx away from 0


# -- 8. refusals that teach ---------------------------------------------------------------------


def test_a_leibniz_product_as_an_answer_is_the_chain_rule_itself() -> None:
    problem = Problem("(a - y)^2/2", "w", (("z", "w*x + b"), ("a", "sigmoid(z)")))
    verdict = check(problem, "dL/da * da/dz * dz/dw")
    assert verdict.verdict == "invalid"
    assert "chain rule itself" in verdict.message


def test_echo_of_the_problem_shows_lets_as_read() -> None:
    setting = build_setting(Problem("sum((H - Y)^2)/2", "W", (("H", "relu(X W + b)"),), ROW))
    assert setting.lets_read_as == {"H": "relu(X @ W + b)"}
    assert setting.notes == ["b (1x2) added to every row of X @ W (4x2) (broadcasting)"]


def test_unknown_name_is_still_a_name_error() -> None:
    with pytest.raises(NameError_, match="unknown name q"):
        build(parse("q").tree, scope_of({}, scalars=("x",)))


# -- the echo is faithful: what it prints builds to the same value --------------------------------

_SCOPE = scope_of({"x": (3, 1), "W": (2, 3), "b": (1, 3)}, scalars=("s",))
_TOKENS = [
    *("x", "W", "b", "s", "2", "0", " ", "+", "-", "*", "/", "^", "@", "(", ")", ".T", "ᵀ", "·"),
    *(",", "sum(", "dot(", "outer(", "norm(", "softmax(", "axis=", "max(", ">", "<=", "tanh^2("),
    *("σ'(", "pi", "T", "Σ(", "logsumexp("),
]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(_TOKENS), max_size=12))
def test_the_echo_builds_to_the_same_value(parts: list[str]) -> None:
    try:
        tree = parse("".join(parts)).tree
        log = BuildLog()
        value = build(tree, _SCOPE, log)
    except ExprError:
        return
    again = build(parse(log.echo(tree)).tree, _SCOPE)
    if value == again:  # the same expression (x/0 is zoo*x both times)
        return
    difference = value - again
    entries = list(difference) if isinstance(difference, sp.MatrixBase) else [difference]
    assert all(sp.simplify(entry) == 0 for entry in entries)


# -- what a new user threw at it ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "same_as"),
    [
        (r"\frac12 w", "(1/2) w"),
        (r"\tfrac12", "1/2"),
        (r"\frac w2", "w/2"),
        (r"\sigma^{\prime}(z)", "σ'(z)"),
        (r"\sigma^\prime(z)", "σ'(z)"),
        (r"\boldsymbol{\delta} \mathbf{(a - y)}", "δ (a - y)"),
        ("tanh^(2)(z)", "tanh(z)^2"),
        ("a – b ∗ c ⋅ d ÷ e", "a - b*c·d/e"),
        ("σ′(z) + σ’(z)", "σ'(z) + σ'(z)"),
        ("（a）", "(a)"),
        ("sech^2(z)", "sech(z)^2"),
        (r"\hat{y} - y", "y_hat - y"),  # an accent makes another quantity, never y itself
        (r"\bar{x} + \tilde{x}", "x_bar + x_tilde"),
        (r"\vec{x}", "x"),
    ],
)
def test_pasted_and_textbook_spellings(text: str, same_as: str) -> None:
    assert parse(text).tree == parse(same_as).tree


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2..3", "at most one '.'"),
        ("1.2.3", "at most one '.'"),
        ("z == 0", "z > 0"),
        ("z => 0", ">="),
        ("sum(X, dim=0)", "axis=0"),
        ("sum(X, axis==0)", "one '='"),
        ("|x|", "abs(x)"),
        ("tanh^-1(z)", "inverse"),
        (r"\tanh^{-1}(z)", "inverse"),
    ],
)
def test_refusals_say_what_to_write(text: str, fragment: str) -> None:
    with pytest.raises(ParseError, match=re.escape(fragment)):
        parse(text)


def test_e_is_eulers_number_unless_declared() -> None:
    sigmoid = Problem("(a - y)^2/2", "w", (("z", "w*x + b"), ("a", "1/(1 + e^(-z))")))
    assert check(sigmoid, "(a - y) a (1 - a) x").verdict == "correct"
    assert check(sigmoid, "(a - y) e^(-z)/(1 + e^(-z))^2 x").verdict == "correct"
    error = Problem("e^2/2", "w", (("e", "w*x - y"),))  # a let named e is the learner's e
    assert check(error, "e x").verdict == "correct"


def test_sigma_is_a_quantity_unless_called() -> None:
    nll = Problem("log(σ) + (x - μ)^2/(2 σ^2)", "σ")
    assert check(nll, "1/σ - (x - μ)^2/σ^3").verdict == "correct"
    assert check(Problem("(σ(z) - y)^2/2", "z"), "(σ(z) - y) σ'(z)").verdict == "correct"


def test_the_broadcast_note_says_which_side_divides() -> None:
    scope = scope_of({"W": (2, 3), "x": (3, 1)})
    assert read("x.T/W", scope)[2].notes == [
        "x.T (1x3) divided by every row of W (2x3) (broadcasting)"
    ]
    assert read("W/x.T", scope)[2].notes == [
        "x.T (1x3) dividing every row of W (2x3) (broadcasting)"
    ]


def test_a_number_glued_to_a_denominator_gets_a_note() -> None:
    scope = scope_of({}, scalars=("m", "s"))
    assert "1/2m is read as (1/2)*m" in read("1/2m s", scope)[2].notes[0]
    assert read("1/2 m", scope)[2].notes == []


def test_the_ambiguous_caret_t_keeps_its_brackets() -> None:
    scope = scope_of({"z": (3, 1), "y": (3, 1)}, scalars=("T",))
    with pytest.raises(NameError_, match=re.escape("write (z - y).T")):
        read("(z - y)^T", scope)


def test_softmax_and_logsumexp_along_an_axis_match_numpy() -> None:
    shapes = {"Z": (4, 3)}
    scope = scope_of(shapes)
    Z = RNG.normal(size=(4, 3))
    draws = {"Z": Z}
    rows = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    cols = np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True)
    oracle = {
        "softmax(Z, axis=1)": rows,
        "softmax(Z, axis=0)": cols,
        "log_softmax(Z, axis=-1)": np.log(rows),
        "logsumexp(Z, axis=1)": np.log(np.exp(Z).sum(axis=1, keepdims=True)),
        "logsumexp(Z, 0)": np.log(np.exp(Z).sum(axis=0, keepdims=True)),
    }
    for text, expected in oracle.items():
        got = numbers(read(text, scope)[1], scope, draws)
        np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=text)
    with pytest.raises(ShapeError, match=r"softmax\(Z, axis=1\)"):
        read("softmax(Z)", scope)


def test_row_layout_softmax_cross_entropy() -> None:
    """∂/∂W of the mean cross-entropy of softmax(XW) over a batch of one-hot rows: Xᵀ(P − Y)/N."""
    shapes = {"X": (4, 3), "W": (3, 2), "Y": (4, 2)}
    problem = Problem("-sum(Y*log(softmax(X@W, axis=1)))/4", "W", (), shapes, {"Y": "onehot_rows"})
    assert check(problem, "X^T (softmax(X W, axis=1) - Y)/4").verdict == "correct"
    assert check(problem, "X^T (softmax(X W, axis=1) - Y)").diagnosis == "constant_factor"


def test_a_product_that_conforms_neither_way_asks_about_a_transpose() -> None:
    shapes = {"W": (2, 3), "X": (3, 4), "Y": (2, 4)}
    problem = Problem("sum((A - Y)^2)/2", "X", (("A", "W@X"),), shapes)
    verdict = check(problem, "(A - Y) W^T")
    assert verdict.diagnosis == "shape_error" and "is a transpose missing?" in verdict.message
    assert verdict.reading is not None and not verdict.reading.implicit  # the echo cannot show a reading it never took


def test_two_names_written_together_get_a_hint() -> None:
    verdict = check(Problem(ROW_LOSS, "W", (), ROW), r"X^{T}\left(XW+b-Y\right)")
    assert verdict.verdict == "invalid" and "write X W" in verdict.message


def test_a_prediction_written_with_a_hat() -> None:
    problem = Problem("(y_hat - y)^2/2", "y_hat")
    assert check(problem, r"\hat{y} - y").verdict == "correct"
    assert check(problem, r"y - \hat{y}").diagnosis == "sign_flip"


def test_side_by_side_never_broadcasts_a_missing_transpose() -> None:
    """W δ with W 2x3 and δ 2x1 would broadcast δ over W's columns; it is Wᵀ δ that was meant."""
    problem = Problem("sum((a - y)^2)/2", "x", SIGMOID_LAYER_LETS, SIGMOID_LAYER_SHAPES)
    verdict = check(problem, "W ((a - y)*sigmoid'(z))")
    assert verdict.diagnosis == "shape_error" and "is a transpose missing?" in verdict.message
    assert check(problem, "W^T ((a - y)*sigmoid'(z))").verdict == "correct"
    # an explicit * still broadcasts, as numpy does
    scope = scope_of({"W": (2, 3), "d": (2, 1)})
    assert read("W*d", scope)[2].notes == [
        "d (2x1) multiplying every column of W (2x3) (broadcasting)"
    ]


def test_outer_with_a_scalar_is_a_row_or_a_column_by_its_place() -> None:
    """outer(u, v) is len(u) x len(v), a scalar counting as length 1: for one output unit,
    outer(δ, x) is the 1x4 row ∂L/∂W (it was once read as a column, "transposed")."""
    problem = Problem(
        "(a - y)^2/2", "W", (("z", "W@x + b"), ("a", "sigmoid(z)")), {"W": (1, 4), "x": (4, 1)}
    )
    assert check(problem, "outer((a - y)*a*(1 - a), x)").verdict == "correct"
    assert check(problem, "outer(x, (a - y)*a*(1 - a))").diagnosis == "transposed"


def test_a_superscript_is_a_power_when_the_base_is_a_name() -> None:
    """a² names a2 only when a alone is no name: with both a and a2 in the problem, a² is the
    square (by hand: ∂/∂a of a³/3 + a2 is a²)."""
    from backprop_coach.expr.problem import Problem
    from backprop_coach.grading.grader import check

    both = Problem("a^3/3 + a2", "a")
    assert check(both, "a²").verdict == "correct"
    assert check(both, "a2").verdict == "incorrect"
    layer = Problem("a2^3/3", "a2")  # no a: a² is the layer-2 name, so its square is the answer
    assert check(layer, "(a²)^2").verdict == "correct"


def test_a_problem_never_broadcasts_a_column_against_a_row() -> None:
    """A target declared 1x2 beside W@x (2x1) would silently make the loss a 2x2 outer
    difference in numpy; in a problem that is refused, naming both shapes (a claim's δ * a.T
    still broadcasts, as numpy does)."""
    from backprop_coach.expr.problem import Problem
    from backprop_coach.grading.grader import check

    wrong_way = Problem("sum((W@x - y)^2)/2", "W", shapes={"W": (2, 3), "x": (3, 1), "y": (1, 2)})
    verdict = check(wrong_way, "(W@x - y.T) @ x.T")
    assert verdict.verdict == "invalid" and "2x1 and 1x2" in verdict.message


def test_a_layer_index_in_the_loss_names_the_let() -> None:
    """W2 @ a^1 in a loss with a let a1 is W2 @ a1 (not a new scalar a to the power 1): by hand,
    ∂/∂W2 of Σ(W2 a1 − y)²/2 is (W2 a1 − y) a1ᵀ."""
    from backprop_coach.expr.problem import Problem
    from backprop_coach.grading.grader import check

    shapes = {"W1": (2, 2), "W2": (2, 2), "x": (2, 1), "y": (2, 1)}
    problem = Problem("sum((W2 @ a^1 - y)^2)/2", "W2", (("a1", "sigmoid(W1@x)"),), shapes)
    verdict = check(problem, "(W2 a1 - y) a1.T")
    assert verdict.verdict == "correct", verdict.message
    assert verdict.reading is not None and verdict.reading.loss == "sum((W2 @ a1 - y)^2)/2"
