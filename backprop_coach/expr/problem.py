"""A derivation problem as text: a loss, the name to differentiate with respect to, abbreviations
(lets), shapes and sampling domains; the command-line specs that make one; and the names a
learner may use in an answer. grading.setting builds it for grading.

`wrt` may name a let: then the derivative is taken with respect to that node's value with
everything upstream held fixed, which is backpropagation's δ = ∂L/∂z.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TypeVar

from backprop_coach.expr.errors import NameError_, SpecError
from backprop_coach.expr.functions import CONSTANTS, lookalikes, unknown_function
from backprop_coach.expr.parse import Parsed, parse
from backprop_coach.expr.tree import BinOp, Name, Node, Num, children, walk

LOSS_NAMES = ("L", "E", "C", "J")  # what dL/dw may call the loss


@dataclass(frozen=True)
class Problem:
    """What `check --loss ... --wrt ... [--let] [--shape] [--domain]` describes, as text."""

    loss: str
    wrt: str
    lets: tuple[tuple[str, str], ...] = ()
    shapes: dict[str, tuple[int, int]] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "loss": self.loss,
            "wrt": self.wrt,
            "let": [f"{n}={t}" for n, t in self.lets],
            "shape": [f"{n}={r}x{c}" for n, (r, c) in self.shapes.items()],
            "domain": [f"{n}={k}" for n, k in self.domains.items()],
        }


# Names that are positive by convention: a regularization strength, a learning rate, the ε
# that keeps a square root away from zero. They are still drawn from their declared domain (ε
# is also the noise of a VAE, λ a Lagrange multiplier of either sign): only a counterexample
# prefers a point where they are positive, as a learner pictures them.
CONVENTIONALLY_POSITIVE = frozenset(
    {"λ", "lam", "lambda", "η", "eta", "lr", "ε", "eps", "epsilon"}
)


def domain_of(problem: Problem, name: str) -> str:
    """The sampling domain of a primary name: its declared domain, else `real`."""
    return problem.domains.get(name, "real")


def primary_names(
    trees: list[Node], lets: Collection[str], declared: Collection[str] = ()
) -> list[str]:
    """Every name used that no let defines, in order of first appearance. The T of `x^T` and a
    constant such as pi are not names unless declared (given a shape or a domain)."""
    order: list[str] = []
    known = {*lets, *declared}
    for tree in trees:
        for node in _names_used(tree, declared, known):
            if node.id not in lets and node.id not in order:
                order.append(node.id)
    return order


def _names_used(
    tree: Node, declared: Collection[str], known: Collection[str] = ()
) -> list[Name]:
    """The names a tree uses. a¹ (a power of an undeclared a) where a1 is a let or a declared
    name is that name, a layer index (expr.algebra.Scope.layer_index), not a new name a."""
    found: list[Name] = []
    stack: list[Node] = [tree]
    while stack:
        node = stack.pop()
        if (
            isinstance(node, BinOp)
            and node.op == "^"
            and isinstance(node.left, Name)
            and isinstance(node.right, Num)
            and node.left.id not in known
            and node.right.value.denominator == 1
            and f"{node.left.id}{node.right.value.numerator}" in known
        ):
            continue
        if isinstance(node, BinOp) and node.op == "^" and node.right == Name("T"):
            if "T" not in declared:
                stack.append(node.left)
                continue
        if isinstance(node, Name) and not (node.id in CONSTANTS and node.id not in declared):
            found.append(node)
        stack.extend(reversed(children(node)))
    return found


def declared_names(problem: Problem) -> set[str]:
    """Names the problem declares (a shape, a domain, a let, or --wrt): only these may be
    written like a call, `W(x + b)`, and read as a product."""
    return {*problem.shapes, *problem.domains, *(n for n, _ in problem.lets), problem.wrt}


def check_calls(trees: list[Node], known: Collection[str]) -> None:
    """`name(...)` with a name that is no function and no declared quantity is an unknown
    function (`sigmod(z)`, `cosch(x)`), never silently a product; and a name typed with a
    lookalike letter (Cyrillic а) is refused, since the answer's Latin a would never match it."""
    for tree in trees:
        for node in walk(tree):
            if not isinstance(node, Name):
                continue
            odd = lookalikes(node.id)
            if odd is not None:
                raise NameError_(odd, node.col)
            if node.called and node.id not in known:
                err = unknown_function(node.id, node.col)
                err.message += (
                    f"; for a product write {node.id}*(...), or declare {node.id} with "
                    "a shape or a domain"
                )
                raise err


def read_problem(problem: Problem) -> tuple[Parsed, dict[str, Parsed], list[str]]:
    """Parse a problem's loss and lets and check its names and specs, without building anything:
    (loss tree, let trees, primary names in order). Raises ExprError subclasses on bad input."""
    loss_tree = parse(problem.loss)
    let_trees = {name: parse(text) for name, text in problem.lets}
    if len(let_trees) != len(problem.lets):
        raise SpecError("each name may be defined only once", "let")
    declared = declared_names(problem)
    trees = [*(p.tree for p in let_trees.values()), loss_tree.tree]
    check_calls(trees, declared)
    order = primary_names(trees, let_trees, declared)
    for kind, mapping in (("shape", problem.shapes), ("domain", problem.domains)):
        for name in mapping:
            if name in let_trees and kind == "domain":
                raise SpecError(f"{name}: {name} is a let; domains are for primary names", kind)
            if name not in order and name not in let_trees:
                raise SpecError(
                    f"{name}: {name} does not appear in the loss or any let "
                    f"(names: {', '.join(order + list(let_trees))})",
                    kind,
                )
    return loss_tree, let_trees, order


def problem_from_specs(
    loss: str,
    wrt: str,
    lets: list[str] | tuple[str, ...] = (),
    shapes: list[str] | tuple[str, ...] = (),
    domains: list[str] | tuple[str, ...] = (),
) -> Problem:
    """A Problem from command-line style specs (`z=w*x+b`, `W=2x3`, `y=onehot`)."""
    from backprop_coach.expr.parse import check_name, parse_domain, parse_shape, split_let

    if wrt.strip():  # empty: to be named by the derivation itself (check --steps)
        check_name(wrt.strip(), "wrt")
    return Problem(
        loss=loss,
        wrt=wrt.strip(),
        lets=tuple(split_let(spec) for spec in lets),
        shapes=once("shape", [parse_shape(spec) for spec in shapes]),
        domains=once("domain", [parse_domain(spec) for spec in domains]),
    )


T = TypeVar("T")


def once(field: str, pairs: list[tuple[str, T]]) -> dict[str, T]:
    """NAME=VALUE specs as a dict; a name given twice is an error, never silently the last."""
    out: dict[str, T] = {}
    for name, value in pairs:
        if name in out:
            raise SpecError(f"{name} is given twice; give each name once", field)
        out[name] = value
    return out


def names_in_play(
    problem: Problem, let_shapes: dict[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """(name, shape, domain or definition) for every name of a problem, without SymPy work:
    what a learner may use in an answer."""
    let_shapes = let_shapes or {}
    lets = dict(problem.lets)
    trees = [parse(text).tree for text in [*lets.values(), problem.loss]]
    order = primary_names(trees, lets, declared_names(problem))

    def shape(name: str) -> str:
        r, c = problem.shapes.get(name, (1, 1))
        return "scalar" if (r, c) == (1, 1) else f"{r}x{c}"

    def domain(name: str) -> str:
        kind = domain_of(problem, name)
        return "" if kind == "real" else kind

    rows = [(n, shape(n), domain(n)) for n in order]
    rows += [(n, let_shapes.get(n, shape(n)), f"= {t}") for n, t in problem.lets]
    return rows
