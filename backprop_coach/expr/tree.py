"""The syntax tree of the expression language, and the printer that echoes how input was read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction


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
    op: str  # + - * / ^ @ ·   (* is elementwise on matrices; · is @ where shapes conform, else *)
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


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "·": 2, "neg": 3, "^": 4, "T": 5, "atom": 6}


def _prec(node: Node) -> int:
    match node:
        case BinOp(op, _, _):
            return _PRECEDENCE[op]
        case Neg():
            return _PRECEDENCE["neg"]
        case Transpose():
            return _PRECEDENCE["T"]
    return _PRECEDENCE["atom"]


def to_text(node: Node) -> str:
    """Print the tree back in the plain language with explicit operators and minimal parentheses:
    the "read as" echo that shows a learner how their input was understood."""

    def wrap(child: Node, need: int) -> str:
        text = to_text(child)
        return f"({text})" if _prec(child) < need else text

    def mixed(child: Node, op: str, need: int) -> str:
        # (W.T @ δ)*f'(z): bracket @ inside * and * inside @ although they bind alike.
        mixes = op in "*/@·" and isinstance(child, BinOp) and child.op in "*/@·"
        if mixes and (child.op in "@·") != (op in "@·"):
            return f"({to_text(child)})"
        return wrap(child, need)

    match node:
        case Num(text, _):
            return text
        case Name(id):
            return id
        case Neg(operand):
            return "-" + wrap(operand, _PRECEDENCE["neg"] + (1 if isinstance(operand, Neg) else 0))
        case Transpose(operand):
            return wrap(operand, _PRECEDENCE["atom"]) + ".T"
        case Deriv(num, den):
            return f"∂{num}/∂{den}"
        case Call(func, args, prime):
            return f"{func}{chr(39) if prime else ''}(" + ", ".join(map(to_text, args)) + ")"
        case BinOp(op, left, right):
            p = _PRECEDENCE[op]
            if op == "^":  # right-associative
                return f"{wrap(left, p + 1)}^{wrap(right, p)}"
            right_need = p + 1 if op in "-/@*·" else p
            sep = " " if op in "+-@" else ""
            return f"{mixed(left, op, p)}{sep}{op}{sep}{mixed(right, op, right_need)}"
    raise TypeError(f"not a node: {node!r}")


_LATEX_FUNCS = {"sigmoid": r"\sigma", "tanh": r"\tanh", "exp": r"\exp", "log": r"\log"}
_LATEX_GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\epsilon", "η": r"\eta",
    "θ": r"\theta", "λ": r"\lambda", "μ": r"\mu", "ρ": r"\rho", "τ": r"\tau", "φ": r"\phi",
}  # fmt: skip


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


def to_latex(node: Node, elementwise: str = r"\odot") -> str:
    """The tree as LaTeX, for pasting into notes: @ and · as juxtaposition, * as `elementwise`
    (⊙ for matrices, \\cdot for scalars), .T as ^\\top."""

    def wrap(child: Node, need: int) -> str:
        text = to_latex(child, elementwise)
        return rf"\left({text}\right)" if _prec(child) < need else text

    match node:
        case Num(text, _):
            return text
        case Name(id):
            return _latex_name(id)
        case Deriv(num, den):
            return rf"\frac{{\partial {_latex_name(num)}}}{{\partial {_latex_name(den)}}}"
        case Neg(operand):
            return "-" + wrap(operand, _PRECEDENCE["neg"] + 1)
        case Transpose(operand):
            return wrap(operand, _PRECEDENCE["atom"]) + r"^\top"
        case Call(func, args, prime):
            name = _LATEX_FUNCS.get(func, rf"\operatorname{{{func}}}")
            inner = ", ".join(to_latex(a, elementwise) for a in args)
            return rf"{name}{chr(39) if prime else ''}\left({inner}\right)"
        case BinOp(op, left, right):
            p = _PRECEDENCE[op]
            if op == "/":
                return rf"\frac{{{to_latex(left, elementwise)}}}{{{to_latex(right, elementwise)}}}"
            if op == "^":
                return f"{wrap(left, p + 1)}^{{{to_latex(right, elementwise)}}}"
            right_need = p + 1 if op in "-*@·" else p
            sep = {"+": " + ", "-": " - ", "*": f" {elementwise} ", "@": " ", "·": " "}[op]
            return f"{wrap(left, p)}{sep}{wrap(right, right_need)}"
    raise TypeError(f"not a node: {node!r}")
