"""From the syntax tree to values, with shapes: the one set of rules, whatever the values are.

`build` reads a tree once, deciding every shape question (what a product written side by side
means, what is broadcast, which transposes and axes are legal) and handing each operation to an
`Algebra`, which makes the values. Two algebras exist: SymPy expressions (expr.symbolic: exact,
printable, provable) and a numeric graph over sample points (expr.tensor: fast, with reverse-mode
derivatives). Since both are built by this one function, they cannot disagree about how input
was read.

Shapes are 2-D. A 1x1 matrix is a scalar. Elementwise operations need equal shapes, except
numpy's broadcasting in two dimensions: a scalar combines with every entry, a 1xC row with every
row of an RxC matrix and an Rx1 column with every column. `@` needs conforming inner dimensions.
Products written side by side or with `·` are the matrix product where the shapes conform, the
dot product for `u·v` of two vectors of the same length, and otherwise elementwise. Each reading
is recorded in a `BuildLog` so that the echo shows it.

Nothing here sees user text (only trees from expr.parse), and nothing here imports SymPy or numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Generic, Protocol, TypeVar

from backprop_coach.expr.errors import LimitError, NameError_, ShapeError
from backprop_coach.expr.functions import CONSTANTS, lookalikes, unknown_function
from backprop_coach.expr.greek import FROM_ASCII, TO_ASCII
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

Shape = tuple[int, int] | None  # None for a scalar
V = TypeVar("V")

MAX_POWER = 100  # |exponent| of a numeric power
MAX_RESULT_DIGITS = 300  # digits of a number computed from literals
LEAKY_SLOPE = Fraction(1, 100)  # PyTorch's default negative_slope

# the elementwise functions every algebra provides, by arity (besides + - * / ^)
UNARY = (
    "sigmoid", "tanh", "relu", "exp", "log", "sqrt", "abs", "softplus", "step", "sign",
    "cosh", "sinh", "sech", "erf",
)  # fmt: skip
BINARY = ("max", "min", "leaky_relu")
ALONG = ("softmax", "log_softmax", "logsumexp")


class Algebra(Protocol[V]):
    """What values are: each method makes one operation's value. Shapes are already checked by
    `build` when a method is called; a method returns a 1x1 result as a scalar."""

    def number(self, value: Fraction) -> V: ...
    def constant(self, name: str) -> V: ...  # "e" or "pi"
    def shape(self, v: V) -> Shape: ...
    def literal(self, v: V) -> Fraction | None: ...  # the exact number, when v is one
    def neg(self, v: V) -> V: ...
    def transpose(self, v: V) -> V: ...
    def apply(self, func: str, args: Sequence[V], shape: Shape) -> V: ...  # elementwise
    def matmul(self, a: V, b: V) -> V: ...
    def dot(self, u: V, v: V) -> V: ...  # two vectors of the same length, any orientation
    def outer(self, u: V, v: V) -> V: ...  # two vectors: len(u) x len(v)
    def total(self, x: V, axis: int | None) -> V: ...  # sum of all entries, or keepdims
    def along(self, func: str, x: V, axis: int) -> V: ...  # softmax & co of each column/row
    def trace(self, x: V) -> V: ...  # a square matrix
    def diag(self, x: V) -> V: ...  # a vector


def shape_text(shape: Shape) -> str:
    return "scalar" if shape is None else f"{shape[0]}x{shape[1]}"


def broadcast_shape(shapes: list[Shape], what: str = "combine") -> Shape:
    """The shape of an elementwise result under numpy's rule in two dimensions: each dimension
    of each operand is the result's or 1 (a scalar with anything; a 1xC row or an Rx1 column
    with an RxC matrix; an Rx1 column with a 1xC row gives RxC, numpy's outer product
    `delta * a.T`), or None for all scalars. Raises ShapeError naming the shapes otherwise."""
    found = list(dict.fromkeys(shape for shape in shapes if shape is not None))
    if not found:
        return None
    rows = max(shape[0] for shape in found)
    cols = max(shape[1] for shape in found)
    if all(r in (1, rows) and c in (1, cols) for r, c in found):
        return rows, cols
    listed = " and ".join(shape_text(shape) for shape in shapes)
    raise ShapeError(
        f"cannot {what} {listed} elementwise: the shapes must match, or one must be a 1xC row "
        "or an Rx1 column beside an RxC matrix (broadcasting)"
    )


def _is_vector(shape: Shape) -> bool:
    return shape is not None and 1 in shape


def _length(shape: Shape) -> int:
    return 1 if shape is None else shape[0] * shape[1]


GREEK = FROM_ASCII  # delta -> δ (expr.greek)
GREEK_ASCII = TO_ASCII  # δ -> delta


@dataclass
class Scope(Generic[V]):
    """What names mean: each name's value (in one algebra), and in step checking the value of a
    Leibniz term ∂num/∂den."""

    values: Mapping[str, V]
    derivative: Callable[[str, str, int], V] | None = None

    def resolve(self, name: str) -> str | None:
        """The key a name is known under; Greek names answer to their ASCII spelling too, with
        a layer number or subscript after them (δ2 is delta2, delta_1 is δ_1)."""
        head = name.rstrip("0123456789")
        head, tail = (head, name[len(head) :]) if head else (name, "")
        if "_" in head:
            head, rest = head.split("_", 1)
            tail = f"_{rest}{tail}"
        # h_2 is h2 (a subscript written with _, as in LaTeX)
        tails = [tail] + ([tail[1:]] if tail[:1] == "_" and tail[1:].isdigit() else [])
        for spelling in (head, GREEK.get(head), GREEK_ASCII.get(head)):
            for end in tails:
                if spelling is not None and spelling + end in self.values:
                    return spelling + end
        return None

    def layer_index(self, node: Node) -> str | None:
        """The name a power such as a² or a^(1) stands for when it is a layer index, as in
        Nielsen's and Goodfellow's a^l: the base alone is no name here and base+number is one
        (a1, δ2). Anything else is a power."""
        if not (isinstance(node, BinOp) and node.op == "^" and isinstance(node.left, Name)):
            return None
        base, power = node.left, node.right
        if not isinstance(power, Num) or power.value.denominator != 1 or power.value < 0:
            return None
        if base.called or self.resolve(base.id) is not None or base.id in CONSTANTS:
            return None
        return self.resolve(f"{base.id}{power.value.numerator}")

    def lookup(self, node: Name) -> V:
        """A name's value; raises NameError_ saying what is known and what may have been meant."""
        key = self.resolve(node.id)
        if key is not None:
            return self.values[key]
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
    # a column against a row (numpy's outer broadcast): a claim's δ * a.T, but in a problem's
    # loss or lets almost always a target declared with the wrong shape, so refused there
    outer: bool = True

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
_VERB = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}
_COMPARISONS = (">", "<", ">=", "<=")


def _note_broadcast(op: str, left: Node, sa: Shape, right: Node, sb: Shape, log: BuildLog) -> None:
    """Say where a row or column was stretched over a matrix (`b (1x2) added to every row of
    X @ W (4x2)`)."""
    if sa is None or sb is None or sa == sb:
        return
    if sa[0] != sb[0] and sa[1] != sb[1]:  # a column and a row: both stretched
        shape = (max(sa[0], sb[0]), max(sa[1], sb[1]))
        log.notes.append(
            f"{to_text(left, log.readings)} ({shape_text(sa)}) {op} "
            f"{to_text(right, log.readings)} ({shape_text(sb)}) is {shape_text(shape)}: a column "
            "and a row broadcast against each other, as in numpy (δ * a.T is the outer product)"
        )
        return
    (small, s_shape), (big, b_shape) = sorted([(left, sa), (right, sb)], key=lambda p: p[1])
    along = "row" if s_shape[0] == 1 else "column"
    side = "left" if small is left else "right"
    verb = _STRETCH.get((op, side), f"compared ({op}) with")
    log.notes.append(
        f"{to_text(small, log.readings)} ({shape_text(s_shape)}) {verb} every {along} of "
        f"{to_text(big, log.readings)} ({shape_text(b_shape)}) (broadcasting)"
    )


def _glued_to_denominator(left: Node, right: Node) -> bool:
    """`1/2m`: a name written right after the number of a denominator, with no space."""
    if not (isinstance(left, BinOp) and left.op == "/" and isinstance(right, Name)):
        return False
    number = left.right
    return isinstance(number, Num) and number.col > 0 and right.col == number.col + len(number.text)


class _Builder(Generic[V]):
    """One build: the algebra's operations with the shape rules applied."""

    def __init__(self, alg: Algebra[V], scope: Scope[V], log: BuildLog) -> None:
        self.alg, self.scope, self.log = alg, scope, log

    # -- elementwise, with broadcasting -------------------------------------------------------
    def ew(self, func: str, *args: V, what: str = "combine") -> V:
        shapes = [self.alg.shape(a) for a in args]
        shape = broadcast_shape(shapes, what)
        if not self.log.outer and shape is not None and shape not in shapes:
            listed = " and ".join(shape_text(s) for s in shapes)
            raise ShapeError(
                f"cannot {what} {listed} elementwise in the problem: numpy would broadcast a "
                f"column and a row to {shape_text(shape)}, which is almost always a shape "
                "declared the wrong way round; check the shape of each name (write outer(u, v) "
                "if the outer product is meant)"
            )
        return self.alg.apply(func, args, shape)

    def num(self, k: int | Fraction) -> V:
        return self.alg.number(Fraction(k))

    def power(self, base: V, exponent: V) -> V:
        alg = self.alg
        if alg.shape(exponent) is not None:
            raise ShapeError("an exponent must be a scalar")
        p = alg.literal(exponent)
        if p is not None:
            if abs(p) > MAX_POWER:
                raise LimitError(f"exponent {p} is too large (|p| <= {MAX_POWER})")
            b = alg.literal(base) if alg.shape(base) is None else None
            if b is not None and b != 0:
                digits = abs(math.log10(abs(b.numerator)) - math.log10(b.denominator)) * abs(p)
                if digits > MAX_RESULT_DIGITS:
                    raise LimitError(f"{b}^{p} is too large to compute")
        return self.ew("^", base, exponent, what="raise")

    def matmul(self, a: V, b: V) -> V:
        sa, sb = self.alg.shape(a), self.alg.shape(b)
        if sa is None or sb is None:
            return self.ew("*", a, b, what="multiply")
        if sa[1] != sb[0]:
            raise ShapeError(
                f"cannot multiply {shape_text(sa)} @ {shape_text(sb)}: "
                f"inner dimensions {sa[1]} and {sb[0]} differ"
            )
        return self.alg.matmul(a, b)

    def dot(self, u: V, v: V) -> V:
        """u·v of two vectors of the same length (either orientation), or of scalars."""
        su, sv = self.alg.shape(u), self.alg.shape(v)
        if su is None and sv is None:
            return self.ew("*", u, v)
        if not (_is_vector(su) and _is_vector(sv) and _length(su) == _length(sv)):
            raise ShapeError(
                f"dot needs two vectors of the same length, got {shape_text(su)} and "
                f"{shape_text(sv)}"
            )
        return self.alg.dot(u, v)

    def product(self, op: str, a: V, b: V) -> tuple[str, V]:
        """A product written side by side ("juxt") or with `·`: the reading taken and its value.
        Elementwise only for equal shapes or a scalar: two matrices or vectors of other shapes
        written side by side are a matrix product that does not conform (`W δ` for `Wᵀ δ`),
        never a broadcast, which would hide the missing transpose."""
        sa, sb = self.alg.shape(a), self.alg.shape(b)
        if sa is not None and sb is not None and sa[1] == sb[0]:
            return "@", self.alg.matmul(a, b)
        if op == "·" and _is_vector(sa) and _is_vector(sb) and _length(sa) == _length(sb):
            return "dot", self.alg.dot(a, b)
        if sa is None or sb is None or sa == sb:
            return "*", self.ew("*", a, b, what="multiply")
        raise ShapeError(
            f"{shape_text(sa)} and {shape_text(sb)} written side by side are neither a matrix "
            f"product (the inner dimensions {sa[1]} and {sb[0]} differ) nor an elementwise one "
            "(the shapes differ): is a transpose missing?"
        )

    def compare(self, op: str, u: V, v: V) -> V:
        """1 where the comparison holds, else 0, as a step (step(0) = 0)."""

        def step(d: V) -> V:
            return self.alg.apply("step", [d], self.alg.shape(d))

        if op == ">":
            return step(self.ew("-", u, v, what="compare"))
        if op == "<":
            return step(self.ew("-", v, u, what="compare"))
        flipped = (
            self.ew("-", v, u, what="compare") if op == ">=" else self.ew("-", u, v, what="compare")
        )
        return self.ew("-", self.num(1), step(flipped))

    # -- functions ------------------------------------------------------------------------------
    def prime(self, func: str, args: list[V]) -> V:
        """f'(u), written out in f's own terms (what SymPy's diff gives for f; tested)."""
        what = f"apply {func}' to"
        broadcast_shape([self.alg.shape(a) for a in args], what)
        u = args[0]
        if func == "sigmoid":
            s = self.ew("sigmoid", u)
            return self.ew("*", s, self.ew("-", self.num(1), s))
        if func == "tanh":
            return self.ew("-", self.num(1), self.ew("^", self.ew("tanh", u), self.num(2)))
        if func == "relu":
            return self.ew("step", u)
        if func == "leaky_relu":
            alpha = args[1] if len(args) == 2 else self.alg.number(LEAKY_SLOPE)
            s = self.ew("step", u)
            return self.ew("+", s, self.ew("*", alpha, self.ew("-", self.num(1), s)), what=what)
        if func == "softplus":
            return self.ew("sigmoid", u)
        if func == "exp":
            return self.ew("exp", u)
        if func == "log":
            return self.ew("/", self.num(1), u)
        raise NameError_(f"{func} has no derivative here")  # pragma: no cover - parse refuses

    def vector(self, func: str, x: V) -> V:
        shape = self.alg.shape(x)
        if shape is not None and 1 not in shape:
            raise ShapeError(
                f"{func} of a {shape_text(shape)} matrix needs an axis: {func}(Z, axis=1) for "
                f"each row (a batch in the row layout), {func}(Z, axis=0) for each column"
            )
        return x

    def call(self, node: Call, args: list[V]) -> V:
        alg, func = self.alg, node.func
        if node.prime:
            return self.prime(func, args)
        if func in UNARY:
            return self.ew(func, args[0], what=f"apply {func} to")
        if func in BINARY:
            if func == "leaky_relu" and len(args) == 1:
                args = [args[0], alg.number(LEAKY_SLOPE)]
            return self.ew(func, *args, what=f"take {func} of")
        if func == "dot":
            return self.dot(*args)
        if func == "outer":
            u, v = (self.vector("outer", a) for a in args)
            if alg.shape(u) is None and alg.shape(v) is None:
                return self.ew("*", u, v)
            return alg.outer(u, v)  # len(u) x len(v), a scalar counting as length 1
        x, shape = args[0], alg.shape(args[0])
        axis = _axis_of(node)
        if func in ALONG:
            if shape is None:
                return {"softmax": self.num(1), "log_softmax": self.num(0)}.get(func, x)
            if axis is None:
                x = self.vector(func, x)
                axis = 0 if shape[1] == 1 else 1  # a column's entries, or a row's
            return alg.along(func, x, axis)
        if func in ("sum", "mean"):
            if shape is None:
                return x
            total = alg.total(x, axis)
            count = _length(shape) if axis is None else shape[axis]
            return self.ew("/", total, self.num(count)) if func == "mean" else total
        if func == "norm":
            if shape is None:
                return self.ew("abs", x)
            return self.ew("sqrt", alg.total(self.ew("^", x, self.num(2)), None))
        if func == "trace":
            if shape is None:
                return x
            if shape[0] != shape[1]:
                raise ShapeError(f"trace needs a square matrix, got {shape_text(shape)}")
            return alg.trace(x)
        if func == "diag":
            if shape is None:
                return x
            if 1 not in shape:
                raise ShapeError(f"diag expects a vector, got {shape_text(shape)}")
            return alg.diag(x)
        raise NameError_(f"unknown function {func}")  # pragma: no cover - FUNCTIONS is closed

    # -- the tree -------------------------------------------------------------------------------
    def build(self, node: Node) -> V:
        alg, scope, log = self.alg, self.scope, self.log
        match node:
            case Num(_, number):
                return alg.number(number)
            case Name():
                if scope.resolve(node.id) is None and node.id in CONSTANTS:
                    return alg.constant(CONSTANTS[node.id])
                return scope.lookup(node)
            case Deriv(num, den, col):
                if scope.derivative is None:
                    raise NameError_(
                        f"∂{num}/∂{den} is a Leibniz term: that is the chain rule itself, not "
                        "an answer; write out each factor (for example (a - y)*a*(1 - a)*x). "
                        "Leibniz terms are understood line by line in check --steps",
                        col,
                    )
                return scope.derivative(num, den, col)
            case Neg(operand):
                return alg.neg(self.build(operand))
            case Transpose(operand):
                return alg.transpose(self.build(operand))
            case Call():
                return self.call(node, [self.build(a) for a in _value_args(node)])
            case BinOp("^", Name() as indexed, Num()) if (key := scope.layer_index(node)):
                log.readings[id(node)] = f"={key}"
                log.notes.append(
                    f"{to_text(node)} is read as {key}, the layer's quantity ({indexed.id} alone is "
                    "no name here)"
                )
                return scope.values[key]
            case BinOp("^", left, Name("T") as t):
                base = self.build(left)
                if scope.resolve("T") is None:  # x^T: the transpose, as textbooks write it
                    log.readings[id(node)] = "T"
                    return alg.transpose(base)
                if alg.shape(base) is not None:
                    shown = to_text(left) if isinstance(left, Name) else f"({to_text(left)})"
                    raise NameError_(
                        f"{shown}^T is ambiguous because T is a name here: write {shown}.T (or "
                        f"{shown}ᵀ) for the transpose; for a power, call the exponent something "
                        "other than T"
                    )
                return self.power(base, scope.lookup(t))
            case BinOp(op, left, right):
                a, b = self.build(left), self.build(right)
                if op in ("juxt", "·"):
                    reading, value = self.product(op, a, b)
                    log.readings[id(node)] = reading
                    if _glued_to_denominator(left, right):  # 1/2m
                        log.notes.append(
                            f"{to_text(left)}{to_text(right)} is read as ({to_text(left)})*"
                            f"{to_text(right)}, left to right; for 1/({to_text(left.right)}"  # type: ignore[union-attr]
                            f"{to_text(right)}) write the brackets"
                        )
                    if reading == "*":
                        _note_broadcast("*", left, alg.shape(a), right, alg.shape(b), log)
                    return value
                if op == "^":
                    return self.power(a, b)
                if op == "@":
                    return self.matmul(a, b)
                if op in _COMPARISONS:
                    value = self.compare(op, a, b)
                else:
                    value = self.ew(op, a, b, what=_VERB[op])
                _note_broadcast(op, left, alg.shape(a), right, alg.shape(b), log)
                return value
        raise TypeError(f"not a node: {node!r}")  # pragma: no cover


def _axis_of(node: Call) -> int | None:
    """The axis= of sum, mean, softmax & co (expr.parse makes it a literal 0 or 1)."""
    if node.func in ("sum", "mean", *ALONG) and len(node.args) == 2:
        axis = node.args[1]
        assert isinstance(axis, Num)
        return int(axis.value)
    return None


def _value_args(node: Call) -> tuple[Node, ...]:
    """A call's arguments that are values (not its axis=)."""
    return node.args[:1] if _axis_of(node) is not None else node.args


def build(node: Node, scope: Scope[V], alg: Algebra[V], log: BuildLog | None = None) -> V:
    """The value of a tree in an algebra. Raises NameError_, ShapeError or LimitError. With
    `log`, records how products and `^T` were read and where shapes were broadcast."""
    return _Builder(alg, scope, log if log is not None else BuildLog()).build(node)
