"""The SymPy algebra: values as exact expressions, for printing, proving and exact evaluation.

A value is a SymPy scalar expression or an explicit `ImmutableMatrix` of them. The shape rules
and the reading of products are expr.algebra's (the numeric algebra, expr.tensor, shares them);
this module supplies the functions SymPy lacks and the operations on SymPy values. Nothing here
sees user text: only trees from expr.parse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any, TypeAlias

import sympy as sp
from sympy.core.logic import fuzzy_and

from backprop_coach.expr import algebra
from backprop_coach.expr.algebra import LEAKY_SLOPE as _LEAKY_FRACTION
from backprop_coach.expr.algebra import BuildLog, Scope, Shape
from backprop_coach.expr.tree import Node

# a scalar or a matrix of SymPy (untyped: Any to mypy)
Value: TypeAlias = "sp.Expr | sp.ImmutableMatrix"


def _no_physical_units() -> None:
    """SymPy's pretty printer and `simplify` import sympy.physics.units (0.2 s, half of
    sympy.physics) only to ask whether a factor is a physical `Quantity`; in this tool none
    ever is. A stand-in module whose Quantity nothing is an instance of answers that question,
    unless the real one is already loaded."""
    import sys
    import types

    if "sympy.physics.units" not in sys.modules:
        stand_in = types.ModuleType("sympy.physics.units")
        stand_in.Quantity = type("Quantity", (), {})  # type: ignore[attr-defined]
        sys.modules["sympy.physics.units"] = stand_in


_no_physical_units()

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
    """step(z) = 1 for z>0, 0 for z<=0;  step'(z) = 0 almost everywhere.

    step(0) = 0 is the derivative of ReLU at 0 that PyTorch, JAX and TensorFlow use, so that
    step(a) for a = relu(z) is relu'(z) everywhere."""

    @classmethod
    def eval(cls, z: sp.Expr) -> sp.Expr | None:
        if z.is_Number:  # numbers only: assumption queries on large arguments are slow
            return sp.Integer(1 if z > 0 else 0)
        return None

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        """Evaluated to `prec` bits, an argument that is zero up to the evaluation's own noise
        (tanh(1/2)² + sech(1/2)² − 1 gives 1e-31, not 0) is zero: the step is 0 there."""
        z = self.args[0].evalf(prec)
        if not z.is_Number:
            return None
        return sp.Integer(1 if z > sp.Float(2) ** (-prec // 2) else 0)

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        tex = r"\operatorname{step}\left(" + printer._print(self.args[0]) + r"\right)"
        return f"{tex}^{{{exp}}}" if exp else tex

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Integer(0)

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real


class _Kinked(sp.Function):
    """A piecewise-linear function (relu, max, min, leaky_relu): its `eval` gives a number for
    number arguments, so at an exact point it evaluates by evaluating its arguments first; it is
    real where its arguments are."""

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        args = [a.evalf(prec) for a in self.args]
        return self.func(*args) if all(a.is_Number for a in args) else None

    def _eval_is_real(self) -> bool | None:
        return fuzzy_and(a.is_real for a in self.args)


class relu(_Kinked):
    """relu(z) = max(0, z);  relu'(z) = step(z)."""

    @classmethod
    def eval(cls, z: sp.Expr) -> sp.Expr | None:
        return (z if z > 0 else sp.Integer(0)) if z.is_Number else None

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        tex = r"\operatorname{relu}\left(" + printer._print(self.args[0]) + r"\right)"
        return f"{tex}^{{{exp}}}" if exp else tex

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return step(self.args[0])


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


class maximum(_Kinked):
    """max(a, b);  ∂/∂a = step(a-b), ∂/∂b = step(b-a)."""

    @classmethod
    def eval(cls, a: sp.Expr, b: sp.Expr) -> sp.Expr | None:
        return (a if a >= b else b) if a.is_Number and b.is_Number else None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        a, b = self.args
        return step(a - b) if argindex == 1 else step(b - a)


class minimum(_Kinked):
    """min(a, b);  ∂/∂a = step(b-a), ∂/∂b = step(a-b)."""

    @classmethod
    def eval(cls, a: sp.Expr, b: sp.Expr) -> sp.Expr | None:
        return (a if a <= b else b) if a.is_Number and b.is_Number else None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        a, b = self.args
        return step(b - a) if argindex == 1 else step(a - b)


LEAKY_SLOPE = sp.Rational(_LEAKY_FRACTION.numerator, _LEAKY_FRACTION.denominator)


class leaky_relu(_Kinked):
    """leaky_relu(z, α) = z for z>0, αz otherwise;  ∂/∂z = step(z) + α(1 - step(z))."""

    @classmethod
    def eval(cls, z: sp.Expr, alpha: sp.Expr) -> sp.Expr | None:
        return (z if z > 0 else alpha * z) if z.is_Number and alpha.is_Number else None

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        tex = r"\operatorname{leaky\_relu}\left(" + printer._print(self.args[0]) + r"\right)"
        return f"{tex}^{{{exp}}}" if exp else tex

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        z, alpha = self.args
        if argindex == 1:
            return step(z) + alpha * (1 - step(z))
        return z * (1 - step(z))


KINKED = (step, relu, maximum, minimum, leaky_relu)  # this tool's own piecewise functions

SCALAR_FUNCTIONS: dict[str, Callable[..., sp.Expr]] = {
    "sigmoid": sigmoid,
    "tanh": sp.tanh,
    "relu": relu,
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "abs": sp.Abs,
    "softplus": softplus,
    "step": step,
    "sign": sp.sign,
    "cosh": sp.cosh,
    "sinh": sp.sinh,
    "sech": sp.sech,
    "erf": sp.erf,
    "max": maximum,
    "min": minimum,
    "leaky_relu": leaky_relu,
    "+": sp.Add,
    "-": lambda u, v: u - v,
    "*": sp.Mul,
    "/": lambda u, v: u / v,
    "^": sp.Pow,
}


# -- values -----------------------------------------------------------------------------------


def shape_of(value: Value) -> Shape:
    return value.shape if isinstance(value, sp.MatrixBase) else None


def _normal(value: Value) -> Value:
    """A 1x1 matrix is a scalar."""
    if isinstance(value, sp.MatrixBase):
        if value.shape == (1, 1):
            return value[0, 0]
        return sp.ImmutableMatrix(value)
    return value


def _entries(x: Value) -> list[sp.Expr]:
    return list(x) if isinstance(x, sp.MatrixBase) else [x]


class SympyAlgebra:
    """Values as SymPy expressions: a scalar expression, or an explicit `ImmutableMatrix` of
    them (interview-sized shapes, so every entry is its own expression and gradients are exact
    per entry). The shape rules are expr.algebra's."""

    def number(self, value: Fraction) -> Value:
        return sp.Rational(value.numerator, value.denominator)

    def constant(self, name: str) -> Value:
        return sp.E if name == "e" else sp.pi

    def shape(self, v: Value) -> Shape:
        return shape_of(v)

    def literal(self, v: Value) -> Fraction | None:
        if isinstance(v, sp.Rational):
            return Fraction(int(v.p), int(v.q))
        return None

    def neg(self, v: Value) -> Value:
        return _normal(-v)

    def transpose(self, v: Value) -> Value:
        return _normal(v.T) if isinstance(v, sp.MatrixBase) else v

    def apply(self, func: str, args: Sequence[Value], shape: Shape) -> Value:
        fn = SCALAR_FUNCTIONS[func]
        if shape is None:
            return _normal(fn(*args))
        rows, cols = shape

        def entry(v: Value, i: int, j: int) -> sp.Expr:
            if not isinstance(v, sp.MatrixBase):
                return v
            return v[i if v.rows > 1 else 0, j if v.cols > 1 else 0]

        return _normal(
            sp.ImmutableMatrix(rows, cols, lambda i, j: fn(*(entry(v, i, j) for v in args)))
        )

    def matmul(self, a: Value, b: Value) -> Value:
        return _normal(a * b)

    def dot(self, u: Value, v: Value) -> Value:
        return sp.Add(*(a * b for a, b in zip(u, v, strict=True)))

    def outer(self, u: Value, v: Value) -> Value:
        left, right = _entries(u), _entries(v)
        return _normal(sp.ImmutableMatrix(len(left), len(right), lambda i, j: left[i] * right[j]))

    def total(self, x: Value, axis: int | None) -> Value:
        rows, cols = x.shape
        if axis is None:
            return sp.Add(*x)
        if axis == 0:
            return _normal(sp.ImmutableMatrix(1, cols, lambda i, j: sp.Add(*x[:, j])))
        return _normal(sp.ImmutableMatrix(rows, 1, lambda i, j: sp.Add(*x[i, :])))

    def along(self, func: str, x: Value, axis: int) -> Value:
        parts = [x[:, j] for j in range(x.cols)] if axis == 0 else [x[i, :] for i in range(x.rows)]
        done = [_along_vector(func, list(part)) for part in parts]
        if func == "logsumexp":  # one number a column or row: a 1xC row or an Rx1 column
            shape = (1, x.cols) if axis == 0 else (x.rows, 1)
            return _normal(sp.ImmutableMatrix(*shape, done))
        if axis == 0:
            columns = [sp.ImmutableMatrix(len(d), 1, d) for d in done]
            return _normal(sp.ImmutableMatrix.hstack(*columns))
        return _normal(sp.ImmutableMatrix.vstack(*(sp.ImmutableMatrix(1, len(d), d) for d in done)))

    def trace(self, x: Value) -> Value:
        return x.trace()

    def diag(self, x: Value) -> Value:
        return sp.ImmutableMatrix(sp.diag(*list(x)))


def _along_vector(func: str, entries: list[sp.Expr]) -> Any:
    """softmax or log_softmax (a list) or logsumexp (one expression) of a vector's entries."""
    exps = [sp.exp(v) for v in entries]
    total = sp.Add(*exps)
    if func == "softmax":
        return [e / total for e in exps]
    lse = sp.log(total)
    return lse if func == "logsumexp" else [v - lse for v in entries]


SYMPY = SympyAlgebra()


def build(node: Node, scope: Scope[Value], log: BuildLog | None = None) -> Value:
    """The SymPy value of a tree (expr.algebra.build). Raises NameError_, ShapeError or
    LimitError."""
    return algebra.build(node, scope, SYMPY, log)


ASSUMPTIONS = {
    "real": {"real": True},
    "positive": {"positive": True},
    "unit": {"positive": True},
    "onehot": {"nonnegative": True},
    "simplex": {"positive": True},
    "onehot_rows": {"nonnegative": True},
    "binary": {"nonnegative": True},
    "simplex_rows": {"positive": True},
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


def exact_fraction(value: sp.Expr, digits: int = 40) -> Fraction | None:
    """A value with no free symbols, as the Fraction of its first `digits` digits (no float
    noise: an exact zero is 0), or None when it is not a finite real number SymPy can evaluate."""
    try:
        number = rewrite_exp(value).evalf(digits)
        if not (number.is_Number and number.is_finite and number.is_real):
            return None
        if abs(number) > 10**300:  # beyond what a hand calculation or a float could hold
            return None
        return Fraction(str(number))
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return None


def is_exactly_zero(value: sp.Expr) -> bool:
    """Whether a value with no free symbols is 0: SymPy evaluates it with whatever precision it
    takes to see its first digits (1 + exp(-200) - 1 is 1.4e-87, not 0)."""
    try:
        number = rewrite_exp(value).evalf(30, maxn=600)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return False
    if number == 0:
        return True
    return isinstance(number, sp.Float) and number._mpf_[1] == 0  # 0 to within 1e-500


def rewrite_exp(expr: sp.Expr) -> sp.Expr:
    """Replace sigmoid and softplus by exponentials, for symbolic confirmation."""
    return expr.replace(sigmoid, lambda z: 1 / (1 + sp.exp(-z))).replace(
        softplus, lambda z: sp.log(1 + sp.exp(z))
    )
