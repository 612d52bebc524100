"""The expression language: every construct, every error kind, and arbitrary text."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_coach.expr.errors import ExprError, LimitError, ParseError, SpecError
from backprop_coach.expr.parse import (
    MAX_DEPTH,
    parse,
    parse_domain,
    parse_number,
    parse_shape,
    split_let,
)
from backprop_coach.expr.tree import BinOp, Call, Name, Neg, Num, Transpose, to_text


def read(text: str) -> str:
    return to_text(parse(text).tree)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2*x", "1 + 2*x"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("x^2^3", "x^2^3"),
        ("x**2", "x^2"),
        ("-x^2", "-x^2"),
        ("2^-1", "2^(-1)"),
        ("W.T @ δ", "W.T @ δ"),
        ("(W @ x).T", "(W @ x).T"),
        ("Wᵀ", "W.T"),
        ("δ ⊙ a ∘ b", "δ*a*b"),
        ("a · b × c", "a·b·c"),
        ("x − y", "x - y"),
        ("σ(z)", "sigmoid(z)"),
        ("ln(x) + heaviside(z)", "log(x) + step(z)"),
        ("σ'(z)", "sigmoid'(z)"),
        ("relu'(z)", "relu'(z)"),
        ("max(a, b)", "max(a, b)"),
        ("1e-3 + .5 + 2.", "1e-3 + .5 + 2."),
        ("η_1 * λ2", "η_1*λ2"),
        ("(W.T @ δ) * relu'(z)", "(W.T @ δ)*relu'(z)"),
    ],
)
def test_constructs_read_back(text: str, expected: str) -> None:
    assert read(text) == expected


def test_tree_shapes() -> None:
    tree = parse("-W.T @ x + sigmoid'(z)").tree
    assert tree == BinOp(
        "+",
        BinOp("@", Neg(Transpose(Name("W"))), Name("x")),
        Call("sigmoid", (Name("z"),), prime=True),
    )


def test_numbers_are_exact() -> None:
    assert parse("0.1").tree == Num("0.1", Fraction(1, 10))
    assert parse("1e-3").tree == Num("1e-3", Fraction(1, 1000))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2x", "2 x"),
        ("(a - y)(1 - a)", "(a - y) (1 - a)"),
        ("a(1 - a)", "a(1 - a)"),  # as written, until shapes decide the product
        ("x y", "x y"),
    ],
)
def test_implicit_multiplication_is_flagged(text: str, expected: str) -> None:
    # side by side is a product whose reading (@, elementwise) is decided with the shapes
    parsed = parse(text)
    assert parsed.implicit
    assert to_text(parsed.tree) == expected


def test_multi_letter_names_stay_whole() -> None:
    parsed = parse("delta*W2")
    assert not parsed.implicit
    assert parsed.tree == BinOp("*", Name("delta"), Name("W2"))


@pytest.mark.parametrize(
    ("text", "col", "fragment"),
    [
        ("x +", 4, "expected a number, a name or '('"),
        ("((x)", 5, "to close the '(' at column 1"),
        ("x)", 2, "unmatched ')'"),
        ("x $ y", 3, "unexpected character '$'"),
        ("a\x00b", 2, "'\\x00'"),
        ("x.y", 2, "'.' is only allowed"),
        ("_x", 1, "names start with a letter"),
        ("q'(x)", 2, "not a transpose"),
        ("sqrt'(x)", 5, "prime notation works for"),
        ("sigmoid", 1, "needs its argument in parentheses"),
        ("max(a)", 1, "max takes 2 arguments"),
        ("", 1, "empty expression"),
        ("sigmoid'z", 9, "expected '(' after sigmoid'"),
        ("dL/dw = (a - y)*x", 7, "without 'dL/dw =' in front"),
    ],
)
def test_parse_errors_say_where_and_what(text: str, col: int, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.col == col
    assert fragment in info.value.message


@pytest.mark.parametrize(
    "text",
    [
        "x" * 1_000_000,
        "(" * 10_000 + "x" + ")" * 10_000,
        "-" * 500 + "x",
        "1" * 40,
        "1e100000000",
        "+".join(["x"] * 990),
    ],
)
def test_limits(text: str) -> None:
    with pytest.raises(LimitError):
        parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo pwned')",
        "x.__class__",
        "lambda: 0",
        "'hello'",
        '"x"',
        "[x for x in y]",
        "x; y",
    ],
)
def test_code_is_never_accepted(text: str) -> None:
    with pytest.raises(ParseError):
        parse(text)


def test_depth_limit_is_reported_with_the_limit() -> None:
    with pytest.raises(LimitError, match=str(MAX_DEPTH)):
        parse("(" * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_parses_or_raises_our_error(text: str) -> None:
    try:
        parsed = parse(text)
    except ExprError:
        return
    # whatever parses prints back to text that parses to the same tree
    assert parse(to_text(parsed.tree)).tree == parsed.tree


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="xyzW+-*/^@().T'σ 0123456789e<>=,·⊤ᵀ²Σ", max_size=40))
def test_operator_soup_parses_or_raises_our_error(text: str) -> None:
    try:
        parsed = parse(text)
    except ExprError:
        return
    assert parse(to_text(parsed.tree)).tree == parsed.tree


def test_specs() -> None:
    assert split_let("z = w*x + b") == ("z", "w*x + b")
    assert parse_shape("W=2x3") == ("W", (2, 3))
    assert parse_shape("x=4") == ("x", (4, 1))
    assert parse_domain("y=onehot") == ("y", "onehot")
    given = parse_number("0.0822", "--claim")
    assert (given.value, given.unit, given.figures) == (Fraction(822, 10000), Fraction(1, 10**4), 3)
    assert parse_number("8.22e-2", "--claim").unit == Fraction(1, 10**4)
    assert (parse_number("3", "--claim").unit, parse_number("3", "--claim").figures) == (1, 1)
    assert parse_number("120", "--claim").figures == 3  # trailing zeros of a whole number count
    assert parse_number("0.000", "--claim").figures == 0
    assert parse_number("1.50e3", "--claim").unit == 10


@pytest.mark.parametrize(
    ("fn", "text", "fragment"),
    [
        (parse_shape, "W=2y3", "expected ROWSxCOLS"),
        (parse_shape, "W=100x100", "limit"),
        (parse_shape, "W=0x3", "at least 1"),
        (parse_domain, "y=integer", "known: real, onehot, simplex, onehot_rows, simplex_rows, binary, positive, unit"),
        (split_let, "z", "NAME=VALUE"),
        (split_let, "sigmoid=x", "function name"),
        (split_let, "2z=x", "is not a name"),
    ],
)
def test_spec_errors(fn, text: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError, match=fragment):
        fn(text)


@pytest.mark.parametrize(
    ("text", "advice"),
    [
        ("torch.sigmoid(z)", "write sigmoid(...) rather than torch.sigmoid(...)"),
        ("np.sum(G, axis=0)", "write sum(...) rather than np.sum(...)"),
        ("X.t() @ G", "write x.T rather than x.t(...)"),
        ("G.sum(axis=0)", "write sum(x, axis=0) rather than x.sum(...)"),
    ],
)
def test_pytorch_and_numpy_spellings_are_told_the_language_s_own(text: str, advice: str) -> None:
    with pytest.raises(ParseError, match=re.escape(advice)):
        parse(text)
