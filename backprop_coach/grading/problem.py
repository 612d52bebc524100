"""A derivation problem: a loss, the name to differentiate with respect to, abbreviations (lets),
shapes and sampling domains. `Problem` holds text; `Setting` is its SymPy world, built once and
used to grade any number of claims against the true gradient d(loss)/d(wrt).

`wrt` may name a let: then the derivative is taken with respect to that node's value with
everything upstream held fixed, which is backpropagation's δ = ∂L/∂z.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import TypeVar

import numpy as np
import sympy as sp

from backprop_coach.expr.errors import NameError_, ShapeError, SpecError
from backprop_coach.expr.functions import (
    CONSTANTS,
    DIFFERENTIABLE,
    lookalikes,
    unknown_function,
)
from backprop_coach.expr.parse import Parsed, parse
from backprop_coach.expr.symbolic import (
    BuildLog,
    Scope,
    Shape,
    Value,
    build,
    free_entries,
    shape_of,
    shape_text,
    symbols_for,
)
from backprop_coach.expr.tree import BinOp, Call, Name, Node, Num, children, to_text, walk
from backprop_coach.grading.numeric import evaluate, evaluate_value
from backprop_coach.grading.sampling import sample


def pretty(value: object) -> str:
    """Unicode pretty print; a matrix shows its first entry (whole matrices of long entries
    are unreadable in a terminal)."""
    if isinstance(value, sp.MatrixBase):
        label = "[0]" if value.cols == 1 else "[0,0]"
        return f"entry {label}:\n" + sp.pretty(value[0, 0], use_unicode=True, num_columns=72)
    return sp.pretty(value, use_unicode=True, num_columns=72)


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


@dataclass
class Factor:
    """A recognisable factor a learner might drop or add, e.g. σ'(z) or x."""

    label: str
    value: Value


@dataclass
class Setting:
    problem: Problem
    primaries: dict[str, Value]  # primary name -> symbol or symbol matrix
    lets: dict[str, Value]  # let name -> value in terms of primaries (and the wrt node)
    scope: Scope
    loss: sp.Expr
    wrt_value: Value  # the symbols differentiated against
    wrt_definition: Value | None  # for a let wrt: its value in terms of primaries
    truth: Value
    let_trees: dict[str, Parsed]
    loss_tree: Parsed
    # how the loss and each let were read (products, transposes explicit) and what was broadcast
    loss_read_as: str = ""
    lets_read_as: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def wrt_shape(self) -> Shape:
        return shape_of(self.wrt_value)

    @cached_property
    def factors(self) -> list[Factor]:
        """Factors a learner commonly drops or adds (built when a claim first needs them)."""
        return _factors(self.loss_tree, self.let_trees, self.primaries, self.lets, self.scope)

    def describe_names(self) -> list[tuple[str, str, str]]:
        """(name, shape, domain or let definition) for every name in play."""
        rows = [
            (n, shape_text(shape_of(v)), self.problem.domains.get(n, "real"))
            for n, v in self.primaries.items()
        ]
        rows += [
            (n, shape_text(shape_of(v)), "= " + self.lets_read_as[n])
            for n, v in self.lets.items()
        ]
        return rows

    # -- numbers -------------------------------------------------------------------------------
    def draw(
        self, size: int, rng: np.random.Generator, domains: dict[str, str] | None = None
    ) -> dict[sp.Symbol, np.ndarray]:
        """Sample every primary from its domain (`domains` overrides some) and compute the wrt
        node's value there."""
        env: dict[sp.Symbol, np.ndarray] = {}
        chosen = {**self.problem.domains, **(domains or {})}
        for name, value in self.primaries.items():
            draws = sample(chosen.get(name, "real"), shape_of(value), size, rng)
            _bind(env, value, draws)
        if self.wrt_definition is not None:
            _bind(env, self.wrt_value, evaluate_value(self.wrt_definition, env, size))
        return env

    def values(self, value: Value, env: dict[sp.Symbol, np.ndarray], size: int) -> np.ndarray:
        return evaluate_value(value, env, size)

    def magnitudes(
        self, value: Value, env: dict[sp.Symbol, np.ndarray], size: int
    ) -> np.ndarray:
        """The size of the terms each entry adds up (numeric.Evaluator.magnitude)."""
        return evaluate_value(value, env, size, magnitudes=True)

    def loss_values(self, env: dict[sp.Symbol, np.ndarray], size: int) -> np.ndarray:
        return evaluate(self.loss, env, size)

    @cached_property
    def truth_display(self) -> Value:
        """The true gradient with lets folded back in, for printing (built once per setting)."""
        return self.display(self.truth)

    @cached_property
    def truth_pretty(self) -> str:
        return pretty(self.truth_display)

    @cached_property
    def truth_latex(self) -> str:
        """LaTeX of the truth (its first entry for a matrix)."""
        shown = self.truth_display
        return sp.latex(shown[0, 0] if isinstance(shown, sp.MatrixBase) else shown)

    def display(self, value: Value) -> Value:
        """Fold let definitions back into their names, for printing (a = σ(z) shows as a)."""
        for name in reversed(self.lets):
            let = self.lets[name]
            if shape_of(let) is None and not let.is_Atom:
                value = value.subs(let, sp.Symbol(name, real=True))
        return value

    def expand_wrt(self, value: Value) -> Value:
        """Express a value in primaries only (replace the wrt node by its definition)."""
        if self.wrt_definition is None:
            return value
        mapping = dict(
            zip(free_entries(self.wrt_value), free_entries(self.wrt_definition), strict=True)
        )
        return value.xreplace(mapping)


def _bind(env: dict[sp.Symbol, np.ndarray], value: Value, draws: np.ndarray) -> None:
    if isinstance(value, sp.MatrixBase):
        rows, cols = value.shape
        for i in range(rows):
            for j in range(cols):
                env[value[i, j]] = draws[:, i, j]
    else:
        env[value] = draws[:, 0, 0]


def primary_names(
    trees: list[Node], lets: Collection[str], declared: Collection[str] = ()
) -> list[str]:
    """Every name used that no let defines, in order of first appearance. The T of `x^T` and a
    constant such as pi are not names unless declared (given a shape or a domain)."""
    order: list[str] = []
    for tree in trees:
        for node in _names_used(tree, declared):
            if node.id not in lets and node.id not in order:
                order.append(node.id)
    return order


def _names_used(tree: Node, declared: Collection[str]) -> list[Name]:
    found: list[Name] = []
    stack: list[Node] = [tree]
    while stack:
        node = stack.pop()
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


def _check_calls(trees: list[Node], known: Collection[str]) -> None:
    """`name(...)` with a name that is no function and no declared quantity is an unknown
    function (`sigmod(z)`, `cosch(x)`), never silently a product; and a name typed with a
    lookalike letter (Cyrillic а) is refused, since the answer's Latin a would never match it."""
    for tree in trees:
        for node in walk(tree):
            odd = lookalikes(node.id) if isinstance(node, Name) else None
            if odd is not None:
                raise NameError_(odd, node.col)
            if isinstance(node, Name) and node.called and node.id not in known:
                err = unknown_function(node.id, node.col)
                err.message += (
                    f"; for a product write {node.id}*(...), or declare {node.id} with "
                    "--shape or --domain"
                )
                raise err


def primary_symbols(problem: Problem, order: list[str]) -> dict[str, Value]:
    """The symbol (or symbol matrix) of each primary name, with its shape and domain."""
    return {n: symbols_for(n, problem.shapes.get(n), problem.domains.get(n, "real")) for n in order}


def build_setting(problem: Problem) -> Setting:
    """Parse and build a problem. Raises ExprError subclasses on bad input."""
    loss_tree = parse(problem.loss)
    let_trees = {name: parse(text) for name, text in problem.lets}
    if len(let_trees) != len(problem.lets):
        raise SpecError("each --let name may be defined only once")

    declared = declared_names(problem)
    trees = [*(p.tree for p in let_trees.values()), loss_tree.tree]
    _check_calls(trees, declared)
    order = primary_names(trees, let_trees, declared)
    for option, mapping in (("--shape", problem.shapes), ("--domain", problem.domains)):
        for name in mapping:
            if name in let_trees and option == "--domain":
                raise SpecError(
                    f"--domain {name}: {name} is a --let; domains are for primary names"
                )
            if name not in order and name not in let_trees:
                raise SpecError(
                    f"{option} {name}: {name} does not appear in the loss or any --let "
                    f"(names: {', '.join(order + list(let_trees))})"
                )

    primaries = primary_symbols(problem, order)
    scope_values: dict[str, Value] = dict(primaries)
    lets: dict[str, Value] = {}
    wrt_value: Value | None = primaries.get(problem.wrt)
    wrt_definition: Value | None = None
    lets_read_as: dict[str, str] = {}
    log = BuildLog()
    for name, parsed in let_trees.items():
        value = build(parsed.tree, Scope(scope_values), log)
        lets_read_as[name] = log.echo(parsed.tree)
        if name in problem.shapes and problem.shapes[name] != (shape_of(value) or (1, 1)):
            raise SpecError(
                f"--shape {name}={shape_text(problem.shapes[name])} but the --let makes it "
                f"{shape_text(shape_of(value))}"
            )
        if name == problem.wrt:
            wrt_definition = value
            wrt_value = symbols_for(name, shape_of(value))
            value = wrt_value
        lets[name] = value
        scope_values[name] = value
    if wrt_value is None:
        known = ", ".join(order + list(let_trees))
        raise SpecError(f"--wrt {problem.wrt}: not a name in the loss or a --let (names: {known})")
    scope = Scope(scope_values)

    loss = build(loss_tree.tree, scope, log)
    if isinstance(loss, sp.MatrixBase):
        raise ShapeError(
            f"the loss must be a scalar but it is {shape_text(loss.shape)}; "
            "wrap it in sum(...) or mean(...)"
        )
    if isinstance(wrt_value, sp.MatrixBase):
        truth: Value = sp.ImmutableMatrix(
            wrt_value.rows, wrt_value.cols, lambda i, j: sp.diff(loss, wrt_value[i, j])
        )
    else:
        truth = sp.diff(loss, wrt_value)

    return Setting(
        problem,
        primaries,
        lets,
        scope,
        loss,
        wrt_value,
        wrt_definition,
        truth,
        let_trees,
        loss_tree,
        log.echo(loss_tree.tree),
        lets_read_as,
        log.notes,
    )


def _factors(
    loss_tree: Parsed,
    let_trees: dict[str, Parsed],
    primaries: dict[str, Value],
    lets: dict[str, Value],
    scope: Scope,
) -> list[Factor]:
    """Factors a learner commonly drops or adds: f'(u) for every activation in the problem,
    and every name (x, a, W, ...)."""
    found: dict[str, Factor] = {}
    for parsed in [*let_trees.values(), loss_tree]:
        for node in walk(parsed.tree):
            if not isinstance(node, Call) or node.prime:
                continue
            candidates: list[Node] = [node]  # the value itself: σ(z), softmax(z), ...
            if node.func in DIFFERENTIABLE:
                candidates.append(Call(node.func, node.args, prime=True))
            if node.func == "sigmoid":  # σ' = σ(1 - σ): either half may go missing
                candidates.append(BinOp("-", Num("1", Fraction(1)), node))
            if node.func == "max":  # max(u, v) routes the gradient to one side
                u, v = node.args
                candidates += [Call("step", (BinOp("-", u, v),)), Call("step", (BinOp("-", v, u),))]
            for candidate in candidates:
                label = to_text(candidate)
                if label not in found:
                    try:
                        found[label] = Factor(label, build(candidate, scope))
                    except ShapeError:
                        continue
    for name, value in [*primaries.items(), *lets.items()]:
        found.setdefault(name, Factor(name, value))
        if isinstance(value, sp.MatrixBase):
            found.setdefault(name + ".T", Factor(name + ".T", value.T))
    return list(found.values())


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
        check_name(wrt.strip(), "--wrt")
    return Problem(
        loss=loss,
        wrt=wrt.strip(),
        lets=tuple(split_let(spec) for spec in lets),
        shapes=once("--shape", [parse_shape(spec) for spec in shapes]),
        domains=once("--domain", [parse_domain(spec) for spec in domains]),
    )


T = TypeVar("T")


def once(option: str, pairs: list[tuple[str, T]]) -> dict[str, T]:
    """NAME=VALUE specs as a dict; a name given twice is an error, never silently the last."""
    out: dict[str, T] = {}
    for name, value in pairs:
        if name in out:
            raise SpecError(f"{option} {name} is given twice; give each name once")
        out[name] = value
    return out


def names_in_play(problem: Problem) -> list[tuple[str, str, str]]:
    """(name, shape, domain or definition) for every name of a problem, without SymPy work:
    what a learner may use in an answer."""
    lets = dict(problem.lets)
    trees = [parse(text).tree for text in [*lets.values(), problem.loss]]
    order = primary_names(trees, lets, declared_names(problem))

    def shape(name: str) -> str:
        r, c = problem.shapes.get(name, (1, 1))
        return "scalar" if (r, c) == (1, 1) else f"{r}x{c}"

    rows = [(n, shape(n), problem.domains.get(n, "")) for n in order]
    rows += [(n, shape(n) if n in problem.shapes else "", f"= {t}") for n, t in problem.lets]
    return rows
