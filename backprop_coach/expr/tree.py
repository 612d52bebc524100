"""The syntax tree of the expression language, and the printer that echoes how input was read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction

from backprop_coach.expr.greek import TO_LATEX


@dataclass(frozen=True, slots=True)
class Num:
    text: str
    value: Fraction
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    col: int = field(default=0, compare=False)
    called: bool = field(default=False, compare=False)  # written like a call: name(...)


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Node


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str  # + - * / ^ @ · juxt > < >= <=
    # * is elementwise; @ the matrix product; · (written ·, ×, \cdot) and juxt (factors side
    # by side) are @ where the shapes conform, otherwise elementwise, and · of two vectors of
    # the same length is their dot product; the comparisons give 1 or 0.
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Call:
    func: str  # canonical function name, see expr.functions
    args: tuple[Node, ...]
    prime: bool = False  # f'(x): the derivative of f evaluated at x
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Transpose:
    operand: Node


@dataclass(frozen=True, slots=True)
class Deriv:
    """A Leibniz term dL/da or ∂a/∂z: the derivative of a named quantity with respect to
    another (understood in step-by-step checking)."""

    num: str
    den: str
    col: int = field(default=0, compare=False)


Node = Num | Name | Neg | BinOp | Call | Transpose | Deriv


def children(node: Node) -> tuple[Node, ...]:
    match node:
        case Neg(operand) | Transpose(operand):
            return (operand,)
        case BinOp(_, left, right):
            return (left, right)
        case Call(_, args, _):
            return args
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, iteratively (trees can be deep)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def count_nodes(node: Node) -> int:
    return sum(1 for _ in walk(node))


def names(node: Node) -> list[Name]:
    """The names used in the tree, in order of first appearance, with their columns."""
    seen: dict[str, Name] = {}
    for n in walk(node):
        if isinstance(n, Name) and n.id not in seen:
            seen[n.id] = n
    return list(seen.values())


COMPARISONS = (">", "<", ">=", "<=")
PRODUCTS = ("*", "/", "@", "·", "juxt", "dot")
_PRECEDENCE = {
    ">": 0, "<": 0, ">=": 0, "<=": 0, "+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "·": 2, "juxt": 2,
    "dot": 2, "neg": 3, "^": 4, "T": 5, "atom": 6,
}  # fmt: skip

# How a product was read, once shapes are known: id(BinOp) -> "@", "*" or "dot"; "T" for a
# `^T` that is a transpose; "=a1" for a layer index a¹ that names a1. Written when a tree is
# built (expr.algebra), read by the printers.
Readings = dict[int, str]


def _op(node: BinOp, readings: Readings | None) -> str:
    if readings is not None and id(node) in readings:
        return readings[id(node)]
    return node.op


def _prec(node: Node, readings: Readings | None = None) -> int:
    match node:
        case BinOp():
            if readings is not None and readings.get(id(node)) == "T":
                return _PRECEDENCE["T"]
            if readings is not None and readings.get(id(node), "").startswith("="):
                return _PRECEDENCE["atom"]
            return _PRECEDENCE[_op(node, readings)]
        case Neg():
            return _PRECEDENCE["neg"]
        case Transpose():
            return _PRECEDENCE["T"]
    return _PRECEDENCE["atom"]


def _call_args(func: str, args: tuple[Node, ...], show: Callable[[Node], str]) -> str:
    parts = [show(a) for a in args]
    if func in ("sum", "mean") and len(parts) == 2:
        parts[1] = "axis=" + parts[1]
    return ", ".join(parts)


def to_text(node: Node, readings: Readings | None = None) -> str:
    """Print the tree back in the plain language with explicit operators and minimal parentheses:
    the "read as" echo that shows a learner how their input was understood. With `readings`
    (from building it), every product shows the reading taken: `@`, `*` (elementwise) or
    dot(u, v); `x^T` shows as x.T."""

    def text(child: Node) -> str:
        return to_text(child, readings)

    def wrap(child: Node, need: int) -> str:
        return f"({text(child)})" if _prec(child, readings) < need else text(child)

    def mixed(child: Node, op: str, need: int) -> str:
        # (W.T @ δ)*f'(z): bracket @ inside * and * inside @ although they bind alike.
        if op in PRODUCTS and isinstance(child, BinOp):
            inner = _op(child, readings)
            if inner in PRODUCTS and (inner in ("@", "·", "juxt")) != (op in ("@", "·", "juxt")):
                return f"({text(child)})"
        return wrap(child, need)

    match node:
        case Num(value_text, _):
            return value_text
        case Name(id_):
            return id_
        case Neg(operand):
            return "-" + wrap(operand, _PRECEDENCE["neg"] + (1 if isinstance(operand, Neg) else 0))
        case Transpose(operand):  # (2).T: not the number 2. followed by T
            return wrap(operand, _PRECEDENCE["atom"] + isinstance(operand, Num)) + ".T"
        case Deriv(num, den):
            return f"∂{num}/∂{den}"
        case Call(func, args, prime):
            return f"{func}{chr(39) if prime else ''}(" + _call_args(func, args, text) + ")"
        case BinOp(_, left, right):
            op = _op(node, readings)
            if op.startswith("="):  # a¹ read as the name a1
                return op[1:]
            if op == "T":
                return wrap(left, _PRECEDENCE["atom"]) + ".T"
            if op == "dot":
                return f"dot({text(left)}, {text(right)})"
            p = _PRECEDENCE[op]
            if op == "^":  # right-associative
                return f"{wrap(left, p + 1)}^{wrap(right, p)}"
            right_need = p + 1 if op in ("-", "/", "@", "*", "·", "juxt", *COMPARISONS) else p
            if op in COMPARISONS:  # (a > b) > c keeps its brackets
                return f"{wrap(left, p + 1)} {op} {wrap(right, right_need)}"
            if op == "juxt":  # x (-y): a sign after a space would read as subtraction
                if isinstance(left, Name) and left.called:  # as written: w(x + 1)
                    return f"{left.id}({text(right)})"
                shown = (
                    f"({text(right)})" if isinstance(right, Neg) else mixed(right, op, right_need)
                )
                return f"{mixed(left, op, p)} {shown}"
            sep = " " if op in ("+", "-", "@", *COMPARISONS) else ""
            return f"{mixed(left, op, p)}{sep}{op}{sep}{mixed(right, op, right_need)}"
    raise TypeError(f"not a node: {node!r}")


_LATEX_FUNCS = {"sigmoid": r"\sigma", "tanh": r"\tanh", "exp": r"\exp", "log": r"\log"}
_LATEX_GREEK = {
    letter: command for letter, command in TO_LATEX.items() if letter not in ("Δ", "Σ")
}  # δ -> \delta (expr.greek)


def _latex_name(name: str) -> str:
    head, _, sub = name.partition("_")
    if not sub:  # W2 -> W_{2}
        stem = head.rstrip("0123456789")
        head, sub = stem or head, head[len(stem) :] if stem else ""
    head = (
        " ".join(_LATEX_GREEK.get(c, c) for c in head)
        if any(c in _LATEX_GREEK for c in head)
        else head
    )
    return f"{head}_{{{sub}}}" if sub else head


def to_latex(node: Node, elementwise: str = r"\odot", readings: Readings | None = None) -> str:
    """The tree as LaTeX, for pasting into notes: @ and · as juxtaposition, * as `elementwise`
    (⊙ for matrices, \\cdot for scalars), .T as ^\\top; `readings` as in to_text."""

    def latex(child: Node) -> str:
        return to_latex(child, elementwise, readings)

    def wrap(child: Node, need: int) -> str:
        text = latex(child)
        return rf"\left({text}\right)" if _prec(child, readings) < need else text

    match node:
        case Num(text, _):
            return text
        case Name(id_):
            return _latex_name(id_)
        case Deriv(num, den):
            return rf"\frac{{\partial {_latex_name(num)}}}{{\partial {_latex_name(den)}}}"
        case Neg(operand):
            return "-" + wrap(operand, _PRECEDENCE["neg"] + 1)
        case Transpose(operand):
            return wrap(operand, _PRECEDENCE["atom"]) + r"^\top"
        case Call(func, args, prime):
            name = _LATEX_FUNCS.get(func, rf"\operatorname{{{func}}}")
            inner = _call_args(func, args, latex)
            return rf"{name}{chr(39) if prime else ''}\left({inner}\right)"
        case BinOp(_, left, right):
            op = _op(node, readings)
            if op.startswith("="):  # a¹ read as the name a1
                return _latex_name(op[1:])
            if op == "T":
                return wrap(left, _PRECEDENCE["atom"]) + r"^\top"
            p = _PRECEDENCE[op]
            if op == "dot":
                return rf"{wrap(left, p)} \cdot {wrap(right, p + 1)}"
            if op == "/":
                return rf"\frac{{{latex(left)}}}{{{latex(right)}}}"
            if op == "^":
                return f"{wrap(left, p + 1)}^{{{latex(right)}}}"
            right_need = p + 1 if op in ("-", "*", "@", "·", "juxt") else p
            sep = {
                "+": " + ", "-": " - ", "*": f" {elementwise} ", "@": " ", "·": " ", "juxt": " ",
                ">": " > ", "<": " < ", ">=": r" \geq ", "<=": r" \leq ",
            }[op]  # fmt: skip
            return f"{wrap(left, p)}{sep}{wrap(right, right_need)}"
    raise TypeError(f"not a node: {node!r}")
