"""From the syntax tree to SymPy, with shapes.

A value is a SymPy scalar expression or an explicit `ImmutableMatrix` of them (interview-sized
shapes, so every entry is its own expression and gradients are exact per entry). A 1x1 matrix is
a scalar. Elementwise operations need equal shapes (a scalar combines with every entry); `@`
needs conforming inner dimensions. Nothing here sees user text: only trees from expr.parse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from backprop_coach.expr.errors import LimitError, NameError_, ShapeError
from backprop_coach.expr.functions import FUNCTIONS
from backprop_coach.expr.tree import BinOp, Call, Deriv, Name, Neg, Node, Num, Transpose

Value = sp.Expr | sp.ImmutableMatrix
Shape = tuple[int, int] | None  # None for a scalar

MAX_POWER = 100  # |exponent| of a numeric power
MAX_RESULT_DIGITS = 300  # digits of a number computed from literals


# -- the functions SymPy lacks, each with its local derivative beside it --------------------


class sigmoid(sp.Function):
    """σ(z) = 1/(1+e^(-z));  σ'(z) = σ(z)(1-σ(z))."""

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        tex = r"\sigma\left(" + printer._print(self.args[0]) + r"\right)"
        return f"{tex}^{{{exp}}}" if exp else tex

    @classmethod
    def eval(cls, z: sp.Expr) -> sp.Expr | None:
        return sp.Rational(1, 2) if z == 0 else None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, z: sp.Expr, **kwargs: object) -> sp.Expr:
        return 1 / (1 + sp.exp(-z))

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real

    def _eval_is_positive(self) -> bool | None:
        return self.args[0].is_real


class step(sp.Function):
    """step(z) = 1 for z>0, 0 for z<0;  step'(z) = 0 almost everywhere."""

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        tex = r"\operatorname{step}\left(" + printer._print(self.args[0]) + r"\right)"
        return f"{tex}^{{{exp}}}" if exp else tex

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Integer(0)

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real


class relu(sp.Function):
    """relu(z) = max(0, z);  relu'(z) = step(z)."""

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        tex = r"\operatorname{relu}\left(" + printer._print(self.args[0]) + r"\right)"
        return f"{tex}^{{{exp}}}" if exp else tex

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return step(self.args[0])

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real


class softplus(sp.Function):
    """softplus(z) = log(1+e^z);  softplus'(z) = σ(z)."""

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        tex = r"\operatorname{softplus}\left(" + printer._print(self.args[0]) + r"\right)"
        return f"{tex}^{{{exp}}}" if exp else tex

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, z: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.log(1 + sp.exp(z))

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real


class maximum(sp.Function):
    """max(a, b);  ∂/∂a = step(a-b), ∂/∂b = step(b-a)."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        a, b = self.args
        return step(a - b) if argindex == 1 else step(b - a)

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real and self.args[1].is_real


SCALAR_FUNCTIONS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "sigmoid": sigmoid,
    "tanh": sp.tanh,
    "relu": relu,
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "abs": sp.Abs,
    "softplus": softplus,
    "step": step,
}

DERIVATIVES: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "sigmoid": lambda u: sigmoid(u) * (1 - sigmoid(u)),
    "tanh": lambda u: 1 - sp.tanh(u) ** 2,
    "relu": step,
    "softplus": sigmoid,
    "exp": sp.exp,
    "log": lambda u: 1 / u,
}


# -- shapes -----------------------------------------------------------------------------------


def shape_of(value: Value) -> Shape:
    return value.shape if isinstance(value, sp.MatrixBase) else None


def shape_text(shape: Shape) -> str:
    return "scalar" if shape is None else f"{shape[0]}x{shape[1]}"


def _normal(value: Value) -> Value:
    """A 1x1 matrix is a scalar."""
    if isinstance(value, sp.MatrixBase):
        if value.shape == (1, 1):
            return value[0, 0]
        return sp.ImmutableMatrix(value)
    return value


def elementwise(fn: Callable[..., sp.Expr], *values: Value, what: str = "combine") -> Value:
    """Apply a scalar function entry by entry; scalars combine with every entry."""
    shapes = {shape_of(v) for v in values} - {None}
    if len(shapes) > 1:
        listed = " and ".join(shape_text(shape_of(v)) for v in values)
        raise ShapeError(f"cannot {what} {listed} elementwise: shapes must match (no broadcasting)")
    if not shapes:
        return fn(*values)
    rows, cols = shapes.pop()

    def entry(v: Value, i: int, j: int) -> sp.Expr:
        return v[i, j] if isinstance(v, sp.MatrixBase) else v

    return sp.ImmutableMatrix(rows, cols, lambda i, j: fn(*(entry(v, i, j) for v in values)))


def _power(base: Value, exponent: Value) -> Value:
    if isinstance(exponent, sp.MatrixBase):
        raise ShapeError("an exponent must be a scalar")
    if exponent.is_Number:
        if abs(exponent) > MAX_POWER:
            raise LimitError(f"exponent {exponent} is too large (|p| <= {MAX_POWER})")
        if not isinstance(base, sp.MatrixBase) and base.is_Number and base != 0:
            digits = abs(float(sp.log(abs(base), 10))) * abs(float(exponent))
            if digits > MAX_RESULT_DIGITS:
                raise LimitError(f"{base}^{exponent} is too large to compute")
    return elementwise(sp.Pow, base, exponent, what="raise")


def _matmul(left: Value, right: Value) -> Value:
    if not isinstance(left, sp.MatrixBase) or not isinstance(right, sp.MatrixBase):
        return elementwise(sp.Mul, left, right, what="multiply")
    if left.shape[1] != right.shape[0]:
        raise ShapeError(
            f"cannot multiply {shape_text(left.shape)} @ {shape_text(right.shape)}: "
            f"inner dimensions {left.shape[1]} and {right.shape[0]} differ"
        )
    return left * right


def _call(func: str, args: list[Value], prime: bool) -> Value:
    if prime:
        return elementwise(DERIVATIVES[func], args[0])
    if func in SCALAR_FUNCTIONS:
        return elementwise(SCALAR_FUNCTIONS[func], args[0], what=f"apply {func} to")
    if func == "max":
        return elementwise(maximum, args[0], args[1], what="take max of")
    (x,) = args
    if func == "sum":
        return sp.Add(*x) if isinstance(x, sp.MatrixBase) else x
    if func == "mean":
        return sp.Add(*x) / len(x) if isinstance(x, sp.MatrixBase) else x
    if func == "softmax":
        if not isinstance(x, sp.MatrixBase):
            return sp.Integer(1)
        if x.shape[1] != 1:
            raise ShapeError(f"softmax expects a column vector, got {shape_text(x.shape)}")
        exps = [sp.exp(v) for v in x]
        total = sp.Add(*exps)
        return sp.ImmutableMatrix([[e / total] for e in exps])
    if func == "diag":
        if not isinstance(x, sp.MatrixBase):
            return x
        if 1 not in x.shape:
            raise ShapeError(f"diag expects a vector, got {shape_text(x.shape)}")
        return sp.ImmutableMatrix(sp.diag(*list(x)))
    raise NameError_(f"unknown function {func}")  # pragma: no cover - FUNCTIONS is closed


GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η",
    "theta": "θ", "lambda": "λ", "lam": "λ", "mu": "μ", "rho": "ρ", "tau": "τ", "phi": "φ",
}  # fmt: skip
GREEK_ASCII = {greek: ascii_ for ascii_, greek in GREEK.items() if ascii_ != "lam"}


@dataclass
class Scope:
    """What names mean: each name's SymPy value (a symbol, a symbol matrix, or a let's value)."""

    values: Mapping[str, Value]
    derivative: Callable[[str, str, int], Value] | None = None  # Leibniz terms, in step checking

    def lookup(self, node: Name) -> Value:
        """A name's value; Greek names also answer to their ASCII spelling (eta for η)."""
        for candidate in (node.id, GREEK.get(node.id), GREEK_ASCII.get(node.id)):
            if candidate is not None and candidate in self.values:
                return self.values[candidate]
        try:
            return self.values[node.id]
        except KeyError:
            known = ", ".join(self.values) or "none"
            if node.called:
                funcs = ", ".join(FUNCTIONS)
                raise NameError_(
                    f"unknown function {node.id}; known functions: {funcs}", node.col
                ) from None
            raise NameError_(f"unknown name {node.id}; known: {known}", node.col) from None


def build(node: Node, scope: Scope) -> Value:
    """The SymPy value of a tree. Raises NameError_, ShapeError or LimitError."""
    match node:
        case Num(_, value):
            return sp.Rational(value.numerator, value.denominator)
        case Name():
            return scope.lookup(node)
        case Deriv(num, den, col):
            if scope.derivative is None:
                raise NameError_(
                    f"Leibniz terms such as ∂{num}/∂{den} are understood in step-by-step checking "
                    "(check --steps); here write the derivative out",
                    col,
                )
            return _normal(scope.derivative(num, den, col))
        case Neg(operand):
            return _normal(-build(operand, scope))
        case Transpose(operand):
            value = build(operand, scope)
            return _normal(value.T) if isinstance(value, sp.MatrixBase) else value
        case Call(func, args, prime):
            return _normal(_call(func, [build(a, scope) for a in args], prime))
        case BinOp(op, left, right):
            a, b = build(left, scope), build(right, scope)
            if op == "+":
                return _normal(elementwise(sp.Add, a, b, what="add"))
            if op == "-":
                return _normal(elementwise(lambda u, v: u - v, a, b, what="subtract"))
            if op == "*":
                return _normal(elementwise(sp.Mul, a, b, what="multiply"))
            if op == "/":
                return _normal(elementwise(lambda u, v: u / v, a, b, what="divide"))
            if op == "^":
                return _normal(_power(a, b))
            if op == "@":
                return _normal(_matmul(a, b))
            if op == "·":  # a product as written in math: matrix product where it conforms
                conforms = (
                    isinstance(a, sp.MatrixBase)
                    and isinstance(b, sp.MatrixBase)
                    and a.shape[1] == b.shape[0]
                )
                return _normal(
                    _matmul(a, b) if conforms else elementwise(sp.Mul, a, b, what="multiply")
                )
    raise TypeError(f"not a node: {node!r}")  # pragma: no cover


ASSUMPTIONS = {
    "real": {"real": True},
    "positive": {"positive": True},
    "unit": {"positive": True},
    "onehot": {"nonnegative": True},
    "simplex": {"positive": True},
}


def symbols_for(name: str, shape: Shape, domain: str = "real") -> Value:
    """The symbol (or matrix of entry symbols W[i,j], x[i]) standing for a primary name."""
    assumptions = ASSUMPTIONS[domain]
    if shape is None or shape == (1, 1):
        return sp.Symbol(name, **assumptions)
    rows, cols = shape

    def entry(i: int, j: int) -> sp.Symbol:
        label = f"{name}[{i}]" if cols == 1 else f"{name}[{i},{j}]"
        return sp.Symbol(label, **assumptions)

    return sp.ImmutableMatrix(rows, cols, entry)


def free_entries(value: Value) -> list[sp.Symbol]:
    """The entry symbols of a primary value, in row-major order."""
    return list(value) if isinstance(value, sp.MatrixBase) else [value]


def rewrite_exp(expr: sp.Expr) -> sp.Expr:
    """Replace sigmoid and softplus by exponentials, for symbolic confirmation."""
    return expr.replace(sigmoid, lambda z: 1 / (1 + sp.exp(-z))).replace(
        softplus, lambda z: sp.log(1 + sp.exp(z))
    )
