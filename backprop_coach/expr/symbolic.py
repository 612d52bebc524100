"""From the syntax tree to SymPy, with shapes.

A value is a SymPy scalar expression or an explicit `ImmutableMatrix` of them (interview-sized
shapes, so every entry is its own expression and gradients are exact per entry). A 1x1 matrix is
a scalar. Elementwise operations need equal shapes, except numpy's broadcasting in two
dimensions: a scalar combines with every entry, a 1xC row with every row of an RxC matrix and an
Rx1 column with every column. `@` needs conforming inner dimensions.

Products written side by side or with `·` are read here, where the shapes are known: the matrix
product where the shapes conform, the dot product for `u·v` of two vectors of the same length,
and otherwise elementwise. Each reading is recorded in a `BuildLog` so that the echo shows it.
Nothing here sees user text: only trees from expr.parse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.core.logic import fuzzy_and

from backprop_coach.expr.errors import LimitError, NameError_, ShapeError
from backprop_coach.expr.functions import CONSTANTS, lookalikes, unknown_function
from backprop_coach.expr.tree import (
    BinOp,
    Call,
    Deriv,
    Name,
    Neg,
    Node,
    Num,
    Readings,
    Transpose,
    to_text,
)

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


LEAKY_SLOPE = sp.Rational(1, 100)  # PyTorch's default negative_slope


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
    "sign": sp.sign,
    "cosh": sp.cosh,
    "sinh": sp.sinh,
    "sech": sp.sech,
    "erf": sp.erf,
}
BINARY_FUNCTIONS: dict[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    "max": maximum,
    "min": minimum,
    "leaky_relu": leaky_relu,
}

# f'(u) for prime notation; each is what sp.diff gives for the function (tested).
DERIVATIVES: dict[str, Callable[..., sp.Expr]] = {
    "sigmoid": lambda u: sigmoid(u) * (1 - sigmoid(u)),
    "tanh": lambda u: 1 - sp.tanh(u) ** 2,
    "relu": step,
    "leaky_relu": lambda u, alpha=LEAKY_SLOPE: step(u) + alpha * (1 - step(u)),
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


def broadcast_shape(shapes: list[Shape], what: str = "combine") -> Shape:
    """The shape of an elementwise result under numpy's rule in two dimensions (a scalar with
    anything; a 1xC row or an Rx1 column with an RxC matrix), or None for all scalars. Raises
    ShapeError naming the shapes for every other mismatch."""
    found = list(dict.fromkeys(shape for shape in shapes if shape is not None))
    if not found:
        return None
    rows = max(shape[0] for shape in found)
    cols = max(shape[1] for shape in found)
    if (rows, cols) in found and all(
        (r, c) in ((rows, cols), (1, cols), (rows, 1)) for r, c in found
    ):
        return rows, cols
    listed = " and ".join(shape_text(shape) for shape in shapes)
    raise ShapeError(
        f"cannot {what} {listed} elementwise: the shapes must match, or one must be a 1xC row "
        "or an Rx1 column beside an RxC matrix (broadcasting)"
    )


def elementwise(fn: Callable[..., sp.Expr], *values: Value, what: str = "combine") -> Value:
    """Apply a scalar function entry by entry, broadcasting scalars, rows and columns."""
    shape = broadcast_shape([shape_of(v) for v in values], what)
    if shape is None:
        return fn(*values)
    rows, cols = shape

    def entry(v: Value, i: int, j: int) -> sp.Expr:
        if not isinstance(v, sp.MatrixBase):
            return v
        return v[i if v.rows > 1 else 0, j if v.cols > 1 else 0]

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


def _conforms(a: Value, b: Value) -> bool:
    return isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase) and a.cols == b.rows


def _is_vector(v: Value) -> bool:
    return isinstance(v, sp.MatrixBase) and 1 in v.shape


def _matmul(left: Value, right: Value) -> Value:
    if not isinstance(left, sp.MatrixBase) or not isinstance(right, sp.MatrixBase):
        return elementwise(sp.Mul, left, right, what="multiply")
    if left.shape[1] != right.shape[0]:
        raise ShapeError(
            f"cannot multiply {shape_text(left.shape)} @ {shape_text(right.shape)}: "
            f"inner dimensions {left.shape[1]} and {right.shape[0]} differ"
        )
    return left * right


def _dot(u: Value, v: Value) -> Value:
    """u·v of two vectors of the same length (either orientation), or of scalars."""
    if not isinstance(u, sp.MatrixBase) and not isinstance(v, sp.MatrixBase):
        return u * v
    if not (_is_vector(u) and _is_vector(v) and len(u) == len(v)):
        raise ShapeError(
            f"dot needs two vectors of the same length, got {shape_text(shape_of(u))} and "
            f"{shape_text(shape_of(v))}"
        )
    return sp.Add(*(a * b for a, b in zip(u, v, strict=True)))


def _entries(x: Value) -> list[sp.Expr]:
    return list(x) if isinstance(x, sp.MatrixBase) else [x]


def _vector(func: str, x: Value) -> Value:
    if isinstance(x, sp.MatrixBase) and 1 not in x.shape:
        raise ShapeError(
            f"{func} of a {shape_text(x.shape)} matrix needs an axis: {func}(Z, axis=1) for each "
            f"row (a batch in the row layout), {func}(Z, axis=0) for each column"
        )
    return x


def _along(func: str, x: Value, axis: Value) -> Value:
    """softmax, log_softmax or logsumexp of every column (axis 0) or row (axis 1) of x."""
    if not isinstance(x, sp.MatrixBase):
        return _call(func, [x], False)
    if axis not in (0, 1):
        raise ShapeError(f"{func}(Z, axis=...) takes axis 0 (each column) or 1 (each row)")
    parts = [x[:, j] for j in range(x.cols)] if axis == 0 else [x[i, :] for i in range(x.rows)]
    done = [_call(func, [sp.ImmutableMatrix(part)], False) for part in parts]
    if func == "logsumexp":  # one number a column or row: a 1xC row or an Rx1 column
        return (
            sp.ImmutableMatrix(1, x.cols, done)
            if axis == 0
            else sp.ImmutableMatrix(x.rows, 1, done)
        )
    if axis == 0:
        return sp.ImmutableMatrix.hstack(*done)
    return sp.ImmutableMatrix.vstack(*done)


def _axis(func: str, x: Value, axis: Value) -> Value:
    """sum(X, axis=0) is a 1xC row, axis=1 an Rx1 column (numpy with keepdims); mean likewise."""
    if axis not in (0, 1) or isinstance(axis, sp.MatrixBase):
        raise ShapeError(f"{func}(X, axis=...) takes axis 0 (down the rows) or 1 (along each row)")
    if not isinstance(x, sp.MatrixBase):
        return x
    rows, cols = x.shape
    if axis == 0:
        total = sp.ImmutableMatrix(1, cols, lambda i, j: sp.Add(*x[:, j]))
        return total / rows if func == "mean" else total
    total = sp.ImmutableMatrix(rows, 1, lambda i, j: sp.Add(*x[i, :]))
    return total / cols if func == "mean" else total


def _softmax(x: Value) -> Value:
    if not isinstance(x, sp.MatrixBase):
        return sp.Integer(1)
    exps = [sp.exp(v) for v in x]
    total = sp.Add(*exps)
    return sp.ImmutableMatrix(*x.shape, [e / total for e in exps])


def _call(func: str, args: list[Value], prime: bool) -> Value:
    if prime:
        return elementwise(DERIVATIVES[func], *args, what=f"apply {func}' to")
    if func in SCALAR_FUNCTIONS:
        return elementwise(SCALAR_FUNCTIONS[func], args[0], what=f"apply {func} to")
    if func in BINARY_FUNCTIONS:
        if func == "leaky_relu" and len(args) == 1:
            args = [args[0], LEAKY_SLOPE]
        return elementwise(BINARY_FUNCTIONS[func], *args, what=f"take {func} of")
    if func == "dot":
        return _dot(*args)
    if func == "outer":
        u, v = (_vector("outer", a) for a in args)
        left, right = _entries(u), _entries(v)
        return sp.ImmutableMatrix(len(left), len(right), lambda i, j: left[i] * right[j])
    x = args[0]
    if func in ("softmax", "log_softmax", "logsumexp") and len(args) == 2:
        return _along(func, x, args[1])
    if func in ("sum", "mean"):
        if len(args) == 2:
            return _axis(func, x, args[1])
        total = sp.Add(*_entries(x))
        return total / len(_entries(x)) if func == "mean" else total
    if func == "softmax":
        return _softmax(_vector(func, x))
    if func == "logsumexp":
        return sp.log(sp.Add(*(sp.exp(v) for v in _entries(_vector(func, x)))))
    if func == "log_softmax":
        x = _vector(func, x)
        if not isinstance(x, sp.MatrixBase):
            return sp.Integer(0)
        lse = sp.log(sp.Add(*(sp.exp(v) for v in x)))
        return x.applyfunc(lambda v: v - lse)
    if func == "norm":
        if not isinstance(x, sp.MatrixBase):
            return sp.Abs(x)
        return sp.sqrt(sp.Add(*(v**2 for v in x)))
    if func == "trace":
        if isinstance(x, sp.MatrixBase) and x.rows != x.cols:
            raise ShapeError(f"trace needs a square matrix, got {shape_text(x.shape)}")
        return x.trace() if isinstance(x, sp.MatrixBase) else x
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

    def resolve(self, name: str) -> str | None:
        """The key a name is known under; Greek names answer to their ASCII spelling too."""
        for candidate in (name, GREEK.get(name), GREEK_ASCII.get(name)):
            if candidate is not None and candidate in self.values:
                return candidate
        return None

    def lookup(self, node: Name) -> Value:
        """A name's value (a constant such as pi when nothing else is called that)."""
        key = self.resolve(node.id)
        if key is not None:
            return self.values[key]
        if node.id in CONSTANTS:
            return sp.E if CONSTANTS[node.id] == "e" else sp.pi
        if node.called:
            raise unknown_function(node.id, node.col)
        known = ", ".join(self.values) or "none"
        message = f"unknown name {node.id}; known: {known}"
        if node.id == "T":
            message += "; for a transpose write x.T or xᵀ (x^T transposes once: (x^T)^T)"
        for cut in range(1, len(node.id)):  # XW: two names written together
            left, right = node.id[:cut], node.id[cut:]
            if self.resolve(left) is not None and self.resolve(right) is not None:
                message += f"; for the product of {left} and {right} write {left} {right}"
                break
        odd = lookalikes(node.id)
        if odd is not None:
            message += f" ({odd})"
        raise NameError_(message, node.col)


@dataclass
class BuildLog:
    """What building a tree decided, for the echo: how each product written side by side or
    with `·` was read (id of the BinOp -> "@", "*" or "dot"; "T" for x^T), and where a row or
    column was broadcast."""

    readings: Readings = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def echo(self, tree: Node) -> str:
        """The tree printed with every reading explicit."""
        return to_text(tree, self.readings)


# how a stretched row or column combines with the matrix, by the side it stands on
_STRETCH = {
    ("+", "left"): "added to", ("+", "right"): "added to",
    ("-", "left"): "minus", ("-", "right"): "subtracted from",
    ("*", "left"): "multiplying", ("*", "right"): "multiplying",
    ("/", "left"): "divided by", ("/", "right"): "dividing",
}  # fmt: skip


def _note_broadcast(op: str, left: Node, a: Value, right: Node, b: Value, log: BuildLog) -> None:
    """Say where a row or column was stretched over a matrix (`b (1x2) added to every row of
    X @ W (4x2)`)."""
    sa, sb = shape_of(a), shape_of(b)
    if sa is None or sb is None or sa == sb:
        return
    (small, s_shape), (big, b_shape) = sorted([(left, sa), (right, sb)], key=lambda p: p[1])
    along = "row" if s_shape[0] == 1 else "column"
    side = "left" if small is left else "right"
    verb = _STRETCH.get((op, side), f"compared ({op}) with")
    log.notes.append(
        f"{to_text(small, log.readings)} ({shape_text(s_shape)}) {verb} every {along} of "
        f"{to_text(big, log.readings)} ({shape_text(b_shape)}) (broadcasting)"
    )


def _product(op: str, a: Value, b: Value) -> tuple[str, Value]:
    """A product written side by side ("juxt") or with `·`: the reading taken and its value.
    Elementwise only for equal shapes or a scalar: two matrices or vectors of other shapes
    written side by side are a matrix product that does not conform (`W δ` for `Wᵀ δ`), never
    a broadcast, which would hide the missing transpose."""
    if _conforms(a, b):
        return "@", _matmul(a, b)
    if op == "·" and _is_vector(a) and _is_vector(b) and len(a) == len(b):  # type: ignore[arg-type]
        return "dot", _dot(a, b)
    sa, sb = shape_of(a), shape_of(b)
    if sa is None or sb is None or sa == sb:
        return "*", elementwise(sp.Mul, a, b, what="multiply")
    raise ShapeError(
        f"{shape_text(sa)} and {shape_text(sb)} written side by side are neither a matrix "
        f"product (the inner dimensions {sa[1]} and {sb[0]} differ) nor an elementwise one (the "
        "shapes differ): is a transpose missing?"
    )


_COMPARISON: dict[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    ">": lambda u, v: step(u - v),
    "<": lambda u, v: step(v - u),
    ">=": lambda u, v: 1 - step(v - u),
    "<=": lambda u, v: 1 - step(u - v),
}
_ELEMENTWISE: dict[str, tuple[Callable[[sp.Expr, sp.Expr], sp.Expr], str]] = {
    "+": (sp.Add, "add"),
    "-": (lambda u, v: u - v, "subtract"),
    "*": (sp.Mul, "multiply"),
    "/": (lambda u, v: u / v, "divide"),
    **{op: (fn, "compare") for op, fn in _COMPARISON.items()},
}


def _glued_to_denominator(left: Node, right: Node) -> bool:
    """`1/2m`: a name written right after the number of a denominator, with no space."""
    if not (isinstance(left, BinOp) and left.op == "/" and isinstance(right, Name)):
        return False
    number = left.right
    return isinstance(number, Num) and number.col > 0 and right.col == number.col + len(number.text)


def build(node: Node, scope: Scope, log: BuildLog | None = None) -> Value:
    """The SymPy value of a tree. Raises NameError_, ShapeError or LimitError. With `log`,
    records how products and `^T` were read and where shapes were broadcast."""
    log = log if log is not None else BuildLog()
    match node:
        case Num(_, value):
            return sp.Rational(value.numerator, value.denominator)
        case Name():
            return scope.lookup(node)
        case Deriv(num, den, col):
            if scope.derivative is None:
                raise NameError_(
                    f"∂{num}/∂{den} is a Leibniz term: that is the chain rule itself, not an "
                    "answer; write out each factor (for example (a - y)*a*(1 - a)*x). Leibniz "
                    "terms are understood line by line in check --steps",
                    col,
                )
            return _normal(scope.derivative(num, den, col))
        case Neg(operand):
            return _normal(-build(operand, scope, log))
        case Transpose(operand):
            value = build(operand, scope, log)
            return _normal(value.T) if isinstance(value, sp.MatrixBase) else value
        case Call(func, args, prime):
            return _normal(_call(func, [build(a, scope, log) for a in args], prime))
        case BinOp("^", left, Name("T") as t):
            base = build(left, scope, log)
            if scope.resolve("T") is None:  # x^T: the transpose, as textbooks write it
                log.readings[id(node)] = "T"
                return _normal(base.T) if isinstance(base, sp.MatrixBase) else base
            if isinstance(base, sp.MatrixBase):
                shown = to_text(left) if isinstance(left, Name) else f"({to_text(left)})"
                raise NameError_(
                    f"{shown}^T is ambiguous because T is a name here: write {shown}.T (or "
                    f"{shown}ᵀ) for the transpose; for a power, call the exponent something "
                    "other than T"
                )
            return _normal(_power(base, scope.lookup(t)))
        case BinOp(op, left, right):
            a, b = build(left, scope, log), build(right, scope, log)
            if op in ("juxt", "·"):
                reading, value = _product(op, a, b)
                log.readings[id(node)] = reading
                if _glued_to_denominator(left, right):  # 1/2m
                    log.notes.append(
                        f"{to_text(left)}{to_text(right)} is read as ({to_text(left)})*"
                        f"{to_text(right)}, left to right; for 1/({to_text(left.right)}"  # type: ignore[union-attr]
                        f"{to_text(right)}) write the brackets"
                    )
                if reading == "*":
                    _note_broadcast("*", left, a, right, b, log)
                return _normal(value)
            if op == "^":
                return _normal(_power(a, b))
            if op == "@":
                return _normal(_matmul(a, b))
            fn, what = _ELEMENTWISE[op]
            value = elementwise(fn, a, b, what=what)
            _note_broadcast(op, left, a, right, b, log)
            return _normal(value)
    raise TypeError(f"not a node: {node!r}")  # pragma: no cover


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
