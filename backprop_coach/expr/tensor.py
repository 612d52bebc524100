"""The numeric algebra: a value is a node of a small computation graph, evaluated with numpy at
many sample points at once, with reverse-mode derivatives.

`build` (expr.algebra's, with this algebra) turns a tree into an `Op` graph whose shapes are
known; `Points` holds the sampled value of every primary name and evaluates any graph there,
each node once. Arrays are shaped (points, rows, cols); a scalar is (points, 1, 1), and a value
made of literals only is (1, rows, cols) and broadcasts.

Derivatives are taken by reverse-mode accumulation (the vector-Jacobian product of each node,
from the output back to the leaves), so ∂L/∂W of every entry costs about one more evaluation of
the loss, whatever the shapes (Griewank & Walther, *Evaluating Derivatives*, 2nd ed., 2008,
ch. 3). Each node also has a *magnitude*: the same computation with every term made positive,
which bounds the float error of its value (Higham, *Accuracy and Stability of Numerical
Algorithms*, 2002, §3.1: the error of a sum is at most a few units of roundoff times the sum of
its terms' sizes). The grader allows an exact zero that cancels terms of size 1 its noise of
about 1e-16, and nothing more.

No SymPy here, and no code generation: a graph is interpreted node by node.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction

import numpy as np

from backprop_coach.expr import algebra
from backprop_coach.expr.algebra import BuildLog, Scope, Shape
from backprop_coach.expr.errors import ExprError
from backprop_coach.expr.tree import Node

Array = np.ndarray


class EvaluationError(ExprError):
    """A graph needs a value that the points do not have (a bug: every leaf is drawn)."""


class Op:
    """A node of the graph: `kind` with its arguments; `shape` as in expr.algebra (None for a
    scalar); `const` the exact value when the node is made of literals only."""

    __slots__ = ("args", "axis", "const", "data", "func", "kind", "name", "shape")

    def __init__(
        self,
        kind: str,
        args: tuple[Op, ...],
        shape: Shape,
        *,
        const: Fraction | None = None,
        func: str = "",
        axis: int | None = None,
        name: str = "",
        data: Array | None = None,
    ) -> None:
        self.kind, self.args, self.shape, self.const = kind, args, shape, const
        self.func, self.axis, self.name, self.data = func, axis, name, data

    def __repr__(self) -> str:  # for debugging only
        label = self.name or self.func or (str(self.const) if self.const is not None else "")
        return f"Op({self.kind}{' ' + label if label else ''}, {self.shape})"


def zeros(shape: Shape) -> Op:
    """The literal zero of a shape (a plain 0 claimed for a matrix gradient)."""
    rows, cols = _dims(shape)
    return Op("const", (), shape, const=Fraction(0), data=np.zeros((1, rows, cols)))


def leaf(name: str, shape: Shape) -> Op:
    """A primary name (or the wrt node): its values come from the points."""
    return Op("leaf", (), shape, name=name)


def _dims(shape: Shape) -> tuple[int, int]:
    return (1, 1) if shape is None else shape


def _fold(func: str, args: Sequence[Op]) -> Fraction | None:
    """The exact value of + - * / ^ of literals (the power already bounded by the builder)."""
    values = [a.const for a in args]
    if any(v is None for v in values):
        return None
    a, b = values
    assert a is not None and b is not None
    if func == "+":
        return a + b
    if func == "-":
        return a - b
    if func == "*":
        return a * b
    if func == "/":
        return a / b if b != 0 else None
    if func == "^" and b.denominator == 1 and (a != 0 or b >= 0):
        return a ** int(b)
    return None


def _constant(value: float | Fraction, exact: Fraction | None = None) -> Op:
    try:
        number = float(value)
    except OverflowError:  # 10^100*10^100*10^100*10^100: beyond floats, as its product would be
        number = math.inf if value > 0 else -math.inf
    return Op("const", (), None, const=exact, data=np.full((1, 1, 1), number))


class TensorAlgebra:
    """expr.algebra's operations on `Op` nodes (no numbers are computed while building)."""

    def number(self, value: Fraction) -> Op:
        return _constant(value, value)

    def constant(self, name: str) -> Op:
        op = _constant(math.e if name == "e" else math.pi)
        op.name = name  # exact evaluation takes e and pi to its own precision
        return op

    def shape(self, v: Op) -> Shape:
        return v.shape

    def literal(self, v: Op) -> Fraction | None:
        return v.const

    def neg(self, v: Op) -> Op:
        if v.const is not None:
            return self.number(-v.const)
        return Op("neg", (v,), v.shape)

    def transpose(self, v: Op) -> Op:
        if v.shape is None:
            return v
        return Op("T", (v,), (v.shape[1], v.shape[0]))

    def apply(self, func: str, args: Sequence[Op], shape: Shape) -> Op:
        if len(args) == 2 and func in "+-*/^":
            folded = _fold(func, args)
            if folded is not None:
                return self.number(folded)
        return Op("apply", tuple(args), shape, func=func)

    def matmul(self, a: Op, b: Op) -> Op:
        return Op("matmul", (a, b), _scalar_if_1x1((_dims(a.shape)[0], _dims(b.shape)[1])))

    def dot(self, u: Op, v: Op) -> Op:
        return Op("dot", (u, v), None)

    def outer(self, u: Op, v: Op) -> Op:
        shape = (_length(u.shape), _length(v.shape))
        return Op("outer", (u, v), _scalar_if_1x1(shape))

    def total(self, x: Op, axis: int | None) -> Op:
        rows, cols = _dims(x.shape)
        shape = None if axis is None else (1, cols) if axis == 0 else (rows, 1)
        return Op("total", (x,), _scalar_if_1x1(shape), axis=axis)

    def along(self, func: str, x: Op, axis: int) -> Op:
        rows, cols = _dims(x.shape)
        shape = x.shape if func != "logsumexp" else (1, cols) if axis == 0 else (rows, 1)
        return Op("along", (x,), _scalar_if_1x1(shape), func=func, axis=axis)

    def trace(self, x: Op) -> Op:
        return Op("trace", (x,), None)

    def diag(self, x: Op) -> Op:
        n = _length(x.shape)
        return Op("diag", (x,), (n, n))


def _scalar_if_1x1(shape: Shape) -> Shape:
    return None if shape == (1, 1) else shape


def _length(shape: Shape) -> int:
    rows, cols = _dims(shape)
    return rows * cols


TENSOR = TensorAlgebra()


def build(node: Node, scope: Scope[Op], log: BuildLog | None = None) -> Op:
    """The graph of a tree (expr.algebra.build). Raises NameError_, ShapeError or LimitError."""
    return algebra.build(node, scope, TENSOR, log)


def gradient(loss: Op, wrt: Op) -> Op:
    """The node whose value is ∂loss/∂wrt (wrt a leaf; loss a scalar), by reverse mode."""
    return Op("grad", (loss,), wrt.shape, name=wrt.name)


def jacobian(num: Op, den: Op, actual: Op) -> Op:
    """A Leibniz term ∂num/∂den where `num` was built with den standing as the leaf `den`:
    evaluated with that leaf put back to `actual`'s value. For a scalar num its gradient; for
    num and den of the same shape the diagonal of the Jacobian (elementwise relations); for a
    scalar den, the derivative of each entry of num."""
    shape = den.shape if num.shape is None else num.shape
    return Op("jacobian", (num, actual), shape, name=den.name)


# -- numbers: float64, or 50 digits where floats cannot decide ---------------------------------


class Numbers:
    """The transcendental functions on arrays of one kind of number. FLOAT is numpy's float64;
    EXACT (`exact()`) holds mpmath numbers of EXACT_DIGITS digits in object arrays, so that the
    same graph, with the same rules, can be re-evaluated where float rounding hides the answer.
    Arithmetic, matmul, sums, comparisons and np.where work on both."""

    exp: Callable[..., Array]
    log: Callable[..., Array]
    tanh: Callable[..., Array]
    sqrt: Callable[..., Array]
    cosh: Callable[..., Array]
    sinh: Callable[..., Array]
    sign: Callable[..., Array]
    erf: Callable[..., Array]

    def __init__(self, name: str, lift: Callable[[Callable[..., object]], Callable[..., Array]]):
        import mpmath

        self.name = name
        self.exact = name == "exact"
        if not self.exact:
            self.exp, self.log, self.tanh, self.sqrt = np.exp, np.log, np.tanh, np.sqrt
            self.cosh, self.sinh, self.sign = np.cosh, np.sinh, np.sign
            self.erf = lambda z: np.asarray(_erf(z), dtype=float)
            return
        self.exp, self.log, self.tanh = lift(mpmath.exp), lift(_real_log), lift(mpmath.tanh)
        self.sqrt, self.cosh, self.sinh = lift(_real_sqrt), lift(mpmath.cosh), lift(mpmath.sinh)
        self.sign, self.erf = lift(mpmath.sign), lift(mpmath.erf)


EXACT_DIGITS = 50


def _real_log(x: object) -> object:
    import mpmath

    return mpmath.log(x) if x > 0 else (mpmath.mpf("-inf") if x == 0 else mpmath.nan)  # type: ignore[operator]


def _real_sqrt(x: object) -> object:
    import mpmath

    return mpmath.sqrt(x) if x >= 0 else mpmath.nan  # type: ignore[operator]


_erf = np.frompyfunc(math.erf, 1, 1)
FLOAT = Numbers("float", lambda f: f)  # type: ignore[arg-type, return-value]
_EXACT: list[Numbers] = []


def exact() -> Numbers:
    """The 50-digit numbers (mpmath is imported on first use)."""
    if not _EXACT:
        _EXACT.append(Numbers("exact", lambda f: np.frompyfunc(f, 1, 1)))
    return _EXACT[0]


def _sigmoid(L: Numbers, z: Array) -> Array:
    """σ(z) to full relative precision on both sides: 1/(1 + e^−z) for z ≥ 0, e^z/(1 + e^z)
    below (σ(−418) = 1e-182, where 0.5·(1 + tanh(z/2)) would give 0)."""
    if L.exact:
        return 1 / (1 + L.exp(-z))
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _step(z: Array) -> Array:
    return np.where(z > 0, 1.0, 0.0)  # step(0) = 0, as relu'(0) in PyTorch, JAX, TensorFlow


def _real_power(x: object, y: object) -> object:
    import mpmath

    if x < 0 and int(y) != y:  # type: ignore[operator, call-overload]
        return mpmath.nan  # a negative base to a fractional power is no real number
    if x == 0 and y < 0:  # type: ignore[operator]
        return mpmath.inf
    return mpmath.power(x, y)


_exact_power = np.frompyfunc(_real_power, 2, 1)


def _power(L: Numbers, a: Array, b: Array) -> Array:
    if np.all(b == 0.5):
        return L.sqrt(a)
    return _exact_power(a, b) if L.exact else np.power(a, b)


def _softplus(L: Numbers, z: Array) -> Array:
    if L.exact:
        return L.log(1 + L.exp(z))
    return np.logaddexp(0.0, z)


_FORWARD: dict[str, Callable[..., Array]] = {
    "+": lambda L, a, b: a + b,
    "-": lambda L, a, b: a - b,
    "*": lambda L, a, b: a * b,
    "/": lambda L, a, b: np.divide(a, b),
    "^": _power,
    "sigmoid": _sigmoid,
    "tanh": lambda L, z: L.tanh(z),
    "relu": lambda L, z: np.maximum(z, 0.0),
    "exp": lambda L, z: L.exp(z),
    "log": lambda L, z: L.log(z),
    "sqrt": lambda L, z: L.sqrt(z),
    "abs": lambda L, z: np.abs(z),
    "softplus": _softplus,
    "step": lambda L, z: _step(z),
    "sign": lambda L, z: L.sign(z),
    "cosh": lambda L, z: L.cosh(z),
    "sinh": lambda L, z: L.sinh(z),
    "sech": lambda L, z: 1.0 / L.cosh(z),
    "erf": lambda L, z: L.erf(z),
    "max": lambda L, a, b: np.maximum(a, b),
    "min": lambda L, a, b: np.minimum(a, b),
    "leaky_relu": lambda L, z, alpha: np.where(z > 0, z, alpha * z),
}

_TWO_OVER_ROOT_PI = 2.0 / math.sqrt(math.pi)

# the partial derivative by argument i, from the arguments' values and the node's own value;
# each is what SymPy's diff gives (tested against it)
_PARTIAL: dict[str, Callable[[Numbers, int, list[Array], Array], Array]] = {
    "+": lambda L, i, a, out: np.ones_like(out),
    "-": lambda L, i, a, out: np.full_like(out, 1.0 if i == 0 else -1.0),
    "*": lambda L, i, a, out: a[1 - i],
    "/": lambda L, i, a, out: 1.0 / a[1] if i == 0 else -a[0] / a[1] ** 2,
    "^": lambda L, i, a, out: (
        (a[1] * _power(L, a[0], a[1] - 1.0)) if i == 0 else L.log(a[0]) * out
    ),
    "sigmoid": lambda L, i, a, out: out * (1.0 - out),
    "tanh": lambda L, i, a, out: 1.0 - out**2,
    "relu": lambda L, i, a, out: _step(a[0]),
    "exp": lambda L, i, a, out: out,
    "log": lambda L, i, a, out: 1.0 / a[0],
    "sqrt": lambda L, i, a, out: 0.5 / out,
    "abs": lambda L, i, a, out: L.sign(a[0]),
    "softplus": lambda L, i, a, out: _sigmoid(L, a[0]),
    "step": lambda L, i, a, out: np.zeros_like(out),
    "sign": lambda L, i, a, out: np.zeros_like(out),
    "cosh": lambda L, i, a, out: L.sinh(a[0]),
    "sinh": lambda L, i, a, out: L.cosh(a[0]),
    "sech": lambda L, i, a, out: -L.tanh(a[0]) * out,
    "erf": lambda L, i, a, out: _TWO_OVER_ROOT_PI * L.exp(-(a[0] ** 2)),
    "max": lambda L, i, a, out: _step(a[i] - a[1 - i]),
    "min": lambda L, i, a, out: _step(a[1 - i] - a[i]),
    "leaky_relu": lambda L, i, a, out: (
        _step(a[0]) + a[1] * (1.0 - _step(a[0])) if i == 0 else a[0] * (1.0 - _step(a[0]))
    ),
}


# the magnitude of a partial derivative whose formula is a sum (σ(1 − σ) cancels to 1e-13 where
# σ is near 1: its float error is that of terms of size 1, not of the tiny result)
_PARTIAL_MAGNITUDE: dict[str, Callable[[int, list[Array], Array], Array]] = {
    "sigmoid": lambda i, a, out: np.abs(out) * (1.0 + np.abs(out)),
    "tanh": lambda i, a, out: 1.0 + out**2,
    "leaky_relu": lambda i, a, out: (
        _step(a[0]) + np.abs(a[1]) * (1.0 + _step(a[0]))
        if i == 0
        else np.abs(a[0]) * (1.0 + _step(a[0]))
    ),
}


def _positive_integer(op: Op) -> bool:
    return op.const is not None and op.const.denominator == 1 and op.const > 0


def _unbroadcast(g: Array, shape: tuple[int, ...]) -> Array:
    """Sum a gradient over the axes its argument was broadcast along."""
    axes = tuple(k for k, (n, m) in enumerate(zip(shape, g.shape, strict=True)) if n == 1 and m > 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def _inputs(op: Op) -> tuple[Op, ...]:
    """The nodes whose values a node's value is computed from, at the same points (a Leibniz
    term's numerator is evaluated at points of its own, with its stand-in bound)."""
    return op.args[1:] if op.kind == "jacobian" else op.args


def _topological(out: Op) -> list[Op]:
    """Every node `out` depends on, each once, arguments before the nodes that use them."""
    order: list[Op] = []
    seen: set[int] = set()
    stack: list[tuple[Op, bool]] = [(out, False)]
    while stack:
        op, expanded = stack.pop()
        if expanded:
            order.append(op)
            continue
        if id(op) in seen:
            continue
        seen.add(id(op))
        stack.append((op, True))
        for arg in reversed(_inputs(op)):
            if id(arg) not in seen:
                stack.append((arg, False))
    return order


def _softmax(L: Numbers, x: Array, axis: int) -> Array:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = L.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def _logsumexp(L: Numbers, x: Array, axis: int) -> Array:
    top = np.max(x, axis=axis, keepdims=True)
    if not L.exact:
        top = np.where(np.isfinite(top), top, 0.0)
    return top + L.log(L.exp(x - top).sum(axis=axis, keepdims=True))


class Points:
    """The values of the primary names at `size` sample points (name -> array (size, rows,
    cols)), and every graph's value there, each node computed once."""

    def __init__(self, arrays: dict[str, Array], size: int, numbers: Numbers = FLOAT) -> None:
        self.arrays = arrays
        self.size = size
        self.L = numbers
        self._values: dict[int, tuple[Op, Array]] = {}
        self._magnitudes: dict[int, tuple[Op, Array]] = {}

    def subset(self, keep: Array) -> Points:
        """The same names at the points `keep` (indices) only."""
        return Points({n: v[keep] for n, v in self.arrays.items()}, len(keep), self.L)

    def exact(self) -> Points:
        """The same points in EXACT_DIGITS-digit arithmetic (every float drawn, exactly)."""
        import mpmath

        lift = np.frompyfunc(mpmath.mpf, 1, 1)
        return Points({n: lift(v) for n, v in self.arrays.items()}, self.size, exact())

    def with_values(self, extra: dict[str, Array]) -> Points:
        """These points with more names bound (the wrt node, a Leibniz term's stand-in)."""
        return Points({**self.arrays, **extra}, self.size, self.L)

    def full(self, a: Array, shape: Shape) -> Array:
        rows, cols = _dims(shape)
        kind = object if self.L.exact else float
        return np.broadcast_to(a, (self.size, rows, cols)).astype(kind)

    # -- values ------------------------------------------------------------------------------
    def values(self, op: Op) -> Array:
        """The node's value at every point, shaped (size, rows, cols) (scalars (size, 1, 1))."""
        with np.errstate(all="ignore"):
            return self.full(self.value(op), op.shape)

    def value(self, out: Op) -> Array:
        return self._memoized(out, self._values, self._forward)

    def _memoized(
        self, out: Op, table: dict[int, tuple[Op, Array]], compute: Callable[[Op], Array]
    ) -> Array:
        """table's entry for `out`, computing it (and every node it depends on) once."""
        hit = table.get(id(out))
        if hit is not None:
            return hit[1]
        with np.errstate(all="ignore"):
            for op in _topological(out):
                if id(op) not in table:
                    table[id(op)] = (op, compute(op))
        return table[id(out)][1]

    def _forward(self, op: Op) -> Array:
        kind = op.kind
        args = [self._values[id(a)][1] for a in _inputs(op)]
        if kind == "leaf":
            try:
                value = self.arrays[op.name]
            except KeyError:
                raise EvaluationError(f"no value for {op.name}") from None
            return value if self.L.exact else np.asarray(value, dtype=float)
        if kind == "const":
            assert op.data is not None
            return self._exact_constant(op) if self.L.exact else op.data
        if kind == "neg":
            return -args[0]
        if kind == "T":
            return args[0].transpose(0, 2, 1)
        if kind == "apply":
            return np.asarray(
                _FORWARD[op.func](self.L, *args), dtype=object if self.L.exact else float
            )
        if kind == "matmul":
            return args[0] @ args[1]
        if kind == "dot":
            u, v = args
            return (u.reshape(u.shape[0], -1) * v.reshape(v.shape[0], -1)).sum(axis=1)[
                :, None, None
            ]
        if kind == "outer":
            u, v = args
            return u.reshape(u.shape[0], -1, 1) * v.reshape(v.shape[0], 1, -1)
        if kind == "total":
            axes = (1, 2) if op.axis is None else (op.axis + 1,)
            return args[0].sum(axis=axes, keepdims=True)
        if kind == "along":
            x, axis = args[0], (op.axis or 0) + 1
            if op.func == "softmax":
                return _softmax(self.L, x, axis)
            lse = _logsumexp(self.L, x, axis)
            return lse if op.func == "logsumexp" else x - lse
        if kind == "trace":
            return np.trace(args[0], axis1=1, axis2=2)[:, None, None]
        if kind == "diag":
            flat = args[0].reshape(args[0].shape[0], -1)
            n = flat.shape[1]
            out = np.zeros((flat.shape[0], n, n))
            out[:, range(n), range(n)] = flat
            return out
        if kind == "grad":
            return self.gradient(op.args[0], op.name)
        if kind == "jacobian":
            return self._jacobian(op)
        raise EvaluationError(f"cannot evaluate {kind}")  # pragma: no cover

    def _exact_constant(self, op: Op) -> Array:
        """A literal in exact arithmetic: its Fraction, or e and pi to the working precision."""
        import mpmath

        assert op.data is not None
        if op.const is not None:
            number = mpmath.mpf(op.const.numerator) / op.const.denominator
        elif op.name in ("e", "pi"):
            number = mpmath.e if op.name == "e" else mpmath.pi
            number = +number  # to the working precision
        else:  # a literal too large for a float: it overflowed to inf there as here
            number = mpmath.mpf(float(op.data.flat[0]))
        out = np.empty(op.data.shape, dtype=object)
        out.fill(number)
        return out

    # -- reverse mode ------------------------------------------------------------------------
    def gradient(
        self, out: Op, name: str, seed: Array | None = None, absolute: bool = False
    ) -> Array:
        """∂out/∂(the leaf `name`) at every point, shaped like the leaf (size, rows, cols); with
        `seed` (shaped like out), the vector-Jacobian product seedᵀ ∂out/∂leaf. With `absolute`,
        the magnitude of the gradient's terms instead (every partial and value made positive)."""
        with np.errstate(all="ignore"):
            return self._gradient(out, name, seed, absolute)

    def _gradient(self, out: Op, name: str, seed: Array | None, absolute: bool) -> Array:
        order = _topological(out)
        self.value(out)
        reaches: set[int] = set()  # the nodes that depend on the leaf: the only ones to visit
        shape: Shape = None
        for op in order:
            if (op.kind == "leaf" and op.name == name) or any(id(a) in reaches for a in op.args):
                reaches.add(id(op))
                if op.kind == "leaf":
                    shape = op.shape
        result = np.zeros((self.size, *_dims(shape)))
        if id(out) not in reaches:
            return result
        start = np.ones((self.size, *_dims(out.shape))) if seed is None else seed
        grads: dict[int, Array] = {id(out): start}
        for op in reversed(order):
            g = grads.pop(id(op), None)
            if g is None:
                continue
            if op.kind == "leaf":
                result = result + np.broadcast_to(g, result.shape)
                continue
            for arg, ga in zip(op.args, self._vjp(op, g, absolute), strict=True):
                if ga is None or id(arg) not in reaches:
                    continue
                ga = _unbroadcast(ga, self._values[id(arg)][1].shape)
                grads[id(arg)] = grads[id(arg)] + ga if id(arg) in grads else ga
        return result

    def _vjp(self, op: Op, g: Array, absolute: bool) -> list[Array | None]:
        """The gradient with respect to each argument, given the gradient g of the node."""
        a = [self._values[id(x)][1] for x in op.args]
        out = self._values[id(op)][1]
        mag = self.magnitude if absolute else (lambda x: self._values[id(x)][1])
        kind = op.kind
        if kind == "neg":
            return [g if absolute else -g]
        if kind == "T":
            return [g.transpose(0, 2, 1)]
        if kind == "apply":
            return self._vjp_apply(op, g, a, out, absolute)
        if kind == "matmul":
            left, right = (mag(x) for x in op.args)
            return [g @ right.transpose(0, 2, 1), left.transpose(0, 2, 1) @ g]
        if kind == "dot":
            u, v = (mag(x) for x in op.args)
            return [
                g * v.reshape(v.shape[0], *a[0].shape[1:]),
                g * u.reshape(u.shape[0], *a[1].shape[1:]),
            ]
        if kind == "outer":
            u, v = (mag(x) for x in op.args)
            uf, vf = u.reshape(u.shape[0], -1), v.reshape(v.shape[0], -1)
            du = (g @ vf[:, :, None]).reshape(-1, *a[0].shape[1:])
            dv = (uf[:, None, :] @ g).reshape(-1, *a[1].shape[1:])
            return [du, dv]
        if kind == "total":
            return [np.broadcast_to(g, np.broadcast_shapes(g.shape, a[0].shape))]
        if kind == "along":
            axis = (op.axis or 0) + 1
            if op.func == "softmax":
                s = out
                if absolute:
                    return [s * (g + (g * s).sum(axis=axis, keepdims=True))]
                return [s * (g - (g * s).sum(axis=axis, keepdims=True))]
            s = _softmax(self.L, a[0], axis)
            if op.func == "logsumexp":
                return [g * s]
            total = g.sum(axis=axis, keepdims=True)
            return [g + s * total] if absolute else [g - s * total]
        if kind == "trace":
            n = a[0].shape[1]
            return [g * np.eye(n)[None]]
        if kind == "diag":
            n = g.shape[1]
            return [g[:, range(n), range(n)].reshape(g.shape[0], *a[0].shape[1:])]
        return [None for _ in op.args]  # grad, jacobian: derivatives of derivatives are not taken

    def _vjp_apply(
        self, op: Op, g: Array, a: list[Array], out: Array, absolute: bool
    ) -> list[Array | None]:
        func = op.func
        grads: list[Array | None] = []
        for i, arg in enumerate(op.args):
            if arg.const is not None or arg.kind == "const":
                grads.append(None)
                continue
            if absolute and func in ("+", "-"):
                grads.append(g)
            elif absolute and func == "*":
                grads.append(g * self.magnitude(op.args[1 - i]))
            elif absolute and func == "/" and i == 1:
                grads.append(g * self.magnitude(op.args[0]) / a[1] ** 2)
            elif absolute and func == "^" and _positive_integer(op.args[1]):
                # k·u^(k−1) with u's own rounding: (w·x + 1e8 − 1e8 − y)² is no more exact than
                # the 1e8 terms allow
                k = float(op.args[1].const)  # type: ignore[arg-type]
                grads.append(g * k * self.magnitude(op.args[0]) ** (k - 1.0))
            elif absolute:
                size = _PARTIAL_MAGNITUDE.get(func)
                partial = size(i, a, out) if size else np.abs(_PARTIAL[func](self.L, i, a, out))
                grads.append(g * partial)
            else:
                grads.append(g * _PARTIAL[func](self.L, i, a, out))
        return grads

    def _jacobian(self, op: Op) -> Array:
        num, actual = op.args
        stand_in = self.full(self.value(actual), actual.shape)
        inner = self.with_values({op.name: stand_in})
        if num.shape is None:
            return inner.gradient(num, op.name)
        rows, cols = _dims(num.shape)
        out = np.zeros((self.size, rows, cols))
        for i in range(rows):
            for j in range(cols):
                seed = np.zeros((self.size, rows, cols))
                seed[:, i, j] = 1.0
                g = inner.gradient(num, op.name, seed)
                out[:, i, j] = g[:, 0, 0] if g.shape[1:] == (1, 1) else g[:, i, j]
        return out

    # -- magnitudes --------------------------------------------------------------------------
    def magnitudes(self, op: Op) -> Array:
        """The magnitude of the node's terms at every point (module docstring), full shape."""
        with np.errstate(all="ignore"):
            return self.full(self.magnitude(op), op.shape)

    def magnitude(self, out: Op) -> Array:
        self.value(out)
        return self._memoized(out, self._magnitudes, self._magnitude)

    def _magnitude(self, op: Op) -> Array:
        value = self._values[id(op)][1]
        kind, func = op.kind, op.func
        if kind == "grad":
            return self.gradient(op.args[0], op.name, absolute=True)
        if kind == "jacobian":
            return np.abs(value)
        m = [self._magnitudes[id(a)][1] for a in op.args]
        if kind == "neg":
            return m[0]
        if kind == "T":
            return m[0].transpose(0, 2, 1)
        if kind == "apply" and func in ("+", "-"):
            return m[0] + m[1]
        if kind == "apply" and func == "*":
            return m[0] * m[1]
        if kind == "apply" and func == "/":
            return m[0] * np.abs(1.0 / self._values[id(op.args[1])][1])
        if kind == "apply" and func == "^":
            p = op.args[1].const
            if p is not None and p.denominator == 1 and p > 0:
                return m[0] ** float(p)
        if kind == "matmul":
            return m[0] @ m[1]
        if kind in ("dot", "outer"):
            return self._forward_with(op, m)
        if kind == "total":
            axes = (1, 2) if op.axis is None else (op.axis + 1,)
            return m[0].sum(axis=axes, keepdims=True)
        if kind == "along" and func == "log_softmax":
            return m[0] + np.abs(self._values[id(op.args[0])][1] - value)
        if kind in ("trace", "diag"):
            return self._forward_with(op, m)
        return np.abs(value)

    def _forward_with(self, op: Op, args: list[Array]) -> Array:
        """A linear node's value with other argument values (the magnitudes)."""
        saved = [self._values[id(a)] for a in op.args]
        try:
            for a, v in zip(op.args, args, strict=True):
                self._values[id(a)] = (a, v)
            return self._forward(op)
        finally:
            for a, pair in zip(op.args, saved, strict=True):
                self._values[id(a)] = pair
