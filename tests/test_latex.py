"""LaTeX input: the same trees (and so the same limits) as the plain language, and answers
graded exactly like their plain twins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from backprop_coach.cli import app
from backprop_coach.expr.errors import ExprError, LimitError, ParseError
from backprop_coach.expr.parse import parse
from backprop_coach.expr.problem import Problem
from backprop_coach.expr.tree import Deriv, to_text
from backprop_coach.grading.grader import check
from tests.problems import NEURON_SPECS, NEURON_W

NEURON = Problem("(a - y)^2/2", "w", (("z", "w*x + b"), ("a", "sigmoid(z)")))
TWO = Problem(
    "sum((a2 - y)^2)/2",
    "z1",
    (("z1", "W1@x"), ("a1", "sigmoid(z1)"), ("z2", "W2@a1"), ("a2", "sigmoid(z2)")),
    {"W1": (3, 2), "W2": (2, 3), "x": (2, 1), "y": (2, 1)},
)


@pytest.mark.parametrize(
    ("latex", "plain"),
    [
        (r"\sigma'(z)", "sigmoid'(z)"),
        (r"\frac{1}{2}", "1/2"),
        (r"\frac{a - y}{a(1 - a)}", "(a - y)/(a(1 - a))"),
        (r"W^\top", "W.T"),
        (r"W^{T} \delta", "W^T δ"),
        (r"W^\top \delta \odot \sigma'(z)", "Wᵀ δ ⊙ σ'(z)"),
        (r"\left(A - Y\right) X^{T}", "(A - Y) X^T"),
        (r"\left(A - Y\right) X^{\top}", "(A - Y) X^⊤"),
        (r"\tanh^2(z)", "tanh^2(z)"),
        (r"\tanh^{2}(z)", "tanh²(z)"),
        (r"1 - \sigma^2(z)", "1 - σ²(z)"),
        (r"a^{2}", "a²"),
        (r"\operatorname{sign}(W)", "sign(W)"),
        (r"\cosh(x) \geq \sinh(x)", "cosh(x) >= sinh(x)"),
        (r"\max(z, 0.1 z) \leq \min(z, 1)", "max(z, 0.1z) <= min(z, 1)"),
        (r"\operatorname{erf}\left(\frac{x}{\sqrt{2}}\right)", "erf(x/sqrt(2))"),
        (r"\pi", "π"),
        (r"\mathbf{W} \mathbf{x}", "W x"),
        (r"\Sigma(x)", "sum(x)"),
        (r"\operatorname{sum}(X, axis=0)", "sum(X, axis=0)"),
        (r"e^{-z}", "exp(-z)"),
        (r"\sqrt{x}", "sqrt(x)"),
        (r"\tanh(z)", "tanh(z)"),
        (r"\operatorname{relu}'(z)", "relu'(z)"),
        (r"\left(a - y\right) \odot a", "(a - y)*a"),
        (r"x_{1} + w_{new} + W^{(2)}", "x1 + w_new + W2"),
        (r"\eta \cdot \lambda", "η·λ"),
    ],
)
def test_latex_gives_the_plain_tree(latex: str, plain: str) -> None:
    assert parse(latex).tree == parse(plain).tree
    assert parse(latex, fmt="latex").tree == parse(plain, fmt="plain").tree


def test_leibniz_fraction() -> None:
    assert parse(r"\frac{\partial L}{\partial w}").tree == Deriv("L", "w")
    assert parse(r"\frac{dL}{da}").tree == Deriv("L", "a")


@pytest.mark.parametrize(
    ("problem", "latex", "plain"),
    [
        (NEURON, r"(a - y) \sigma'(z) x", "(a - y)*sigmoid'(z)*x"),
        (NEURON, r"(a - y) \cdot a (1 - a) x", "(a - y)*a*(1 - a)*x"),
        (NEURON, r"(a-y)\,x", "(a - y)*x"),
        (NEURON, r"\frac{(a-y)}{2} x", "(a - y)/2*x"),
        (
            TWO,
            r"\left(W_2^\top \left((a_2 - y) \odot a_2 \odot (1 - a_2)\right)\right) \odot \sigma'(z_1)",
            "(W2.T @ ((a2 - y)*a2*(1 - a2)))*sigmoid'(z1)",
        ),
        (
            TWO,
            r"W_2^\top \left((a_2 - y) \odot a_2 \odot (1 - a_2)\right)",
            "W2.T @ ((a2 - y)*a2*(1 - a2))",
        ),
    ],
)
def test_latex_answer_graded_like_its_plain_twin(problem: Problem, latex: str, plain: str) -> None:
    a, b = check(problem, latex), check(problem, plain)
    assert (a.verdict, a.diagnosis) == (b.verdict, b.diagnosis)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (r"9^{9^{9^{9}}}", None),
        ("{" * 10_000 + "x" + "}" * 10_000, LimitError),
        (r"\input{/etc/passwd}", ParseError),
        (r"\sum_i x_i", ParseError),
        ("\\", ParseError),
        (r"\frac{1}", ParseError),
        ("x}", ParseError),
        ("x" * 5000 + "{", LimitError),
    ],
)
def test_hostile_latex(text: str, error: type | None) -> None:
    if error is None:  # parses, then the builder refuses the huge power
        assert check(NEURON, text).verdict == "invalid"
        return
    with pytest.raises(error):
        parse(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="\\{}^_'()+-*/ xyzaWT0123456789sigmafractopdelt", max_size=50))
def test_latex_soup_parses_or_raises_our_error(text: str) -> None:
    try:
        parse(text, fmt="latex")
    except ExprError:
        pass


def test_input_format_option(runner: CliRunner) -> None:
    base = [*NEURON_W, "--json"]
    forced_plain = runner.invoke(
        app, [*base, "--claim", r"(a - y)\sigma'(z) x", "--input-format", "plain"]
    )
    assert forced_plain.exit_code == 2
    auto = runner.invoke(app, [*base, "--claim", r"(a - y)\sigma'(z) x"])
    assert auto.exit_code == 0 and json.loads(auto.output)["verdict"] == "correct"
    bad = runner.invoke(app, [*base, "--claim", "x", "--input-format", "tex"])
    assert bad.exit_code == 2


def test_latex_output(runner: CliRunner, tmp_path: Path) -> None:
    args = ["check", *NEURON_SPECS, "--wrt", "z"]
    out = runner.invoke(app, [*args, "--claim", "(a - y)*a*(1 - a)", "--latex"]).output
    assert r"\left(a - y\right)" in out and "(LaTeX)" in out
    from tests.test_engine import MAZUR

    net = tmp_path / "net.json"
    net.write_text(json.dumps(MAZUR))
    tex = runner.invoke(app, ["trace", "--net", str(net), "--latex"]).output
    assert (
        tex.startswith(r"\begin{align*}")
        and r"\begin{bmatrix} 0.3775 \\ 0.3925 \end{bmatrix}" in tex
    )


def test_steps_in_latex(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "steps.txt"
    path.write_text(
        "\\frac{\\partial L}{\\partial w} = \\frac{\\partial L}{\\partial a} \\frac{\\partial a}{\\partial z} \\frac{\\partial z}{\\partial w}\n"
        "= (a - y) \\sigma'(z) x\n"
    )
    result = runner.invoke(
        app, ["check", "--steps", str(path), "--question", "sigmoid-neuron-dw", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert to_text(parse(r"\frac{\partial L}{\partial a}").tree) == "∂L/∂a"
