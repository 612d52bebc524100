"""A problem built for grading: a numeric graph of every name (expr.tensor), the true gradient
d(loss)/d(wrt) by reverse mode, and the SymPy world (grading.sympy_world) built only when a formula
is shown or proved.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from backprop_coach.expr import tensor
from backprop_coach.expr.algebra import BuildLog, Scope, Shape, shape_text
from backprop_coach.expr.errors import ExprError, ShapeError
from backprop_coach.expr.functions import DIFFERENTIABLE
from backprop_coach.expr.parse import Parsed
from backprop_coach.expr.problem import Problem, domain_of, read_problem
from backprop_coach.expr.tensor import Op, Points
from backprop_coach.expr.tree import BinOp, Call, Node, Num, to_text, walk
from backprop_coach.grading.sampling import sample, wide_range
from backprop_coach.grading.world import World, build_world, entries

if TYPE_CHECKING:
    from backprop_coach.grading.sympy_world import SymbolicSetting

SYMBOLIC_BUDGET = 1.0  # seconds of CPU to build a problem's exact truth in SymPy
PRINT_BUDGET = 0.5  # and to print it
SYMBOLIC_MAX_ENTRIES = 64  # larger problems are decided by the numbers alone: SymPy's truth
# of a 32x32 W@x takes tens of seconds, its numbers a millisecond


@dataclass
class Factor:
    """A recognisable factor a learner might drop or add, e.g. σ'(z) or x."""

    label: str
    value: Op


@dataclass(frozen=True)
class Printed:
    """The true gradient as a person reads it."""

    text: str
    pretty: str
    latex: str


@dataclass
class Setting:
    """A problem built for grading: every name, let and the loss as a numeric graph (expr.tensor),
    the truth ∂L/∂wrt as its reverse-mode gradient, and the SymPy world built lazily."""

    problem: Problem
    world: World[Op]
    truth: Op
    let_trees: dict[str, Parsed]
    loss_tree: Parsed
    # how the loss and each let were read (products, transposes explicit) and what was broadcast
    loss_read_as: str = ""
    lets_read_as: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def primaries(self) -> dict[str, Op]:
        return self.world.primaries

    @property
    def scope(self) -> Scope[Op]:
        return self.world.scope

    @property
    def wrt_shape(self) -> Shape:
        return self.world.wrt_value.shape

    def build(self, tree: Node, log: BuildLog | None = None) -> Op:
        """The graph of a claim (or any tree) over this problem's names."""
        return tensor.build(tree, self.world.scope, log)

    @property
    def symbolic_size(self) -> bool:
        """Whether every name has at most SYMBOLIC_MAX_ENTRIES entries (a problem SymPy may
        handle, and exact arithmetic at every point costs little)."""
        return all(entries(v.shape) <= SYMBOLIC_MAX_ENTRIES for v in self.world.primaries.values())

    @cached_property
    def symbolic(self) -> SymbolicSetting | None:
        """The same problem in SymPy with its exact truth, or None when SymPy cannot have it
        cheaply: a name above SYMBOLIC_MAX_ENTRIES entries, or more than SYMBOLIC_BUDGET
        seconds of CPU to build the truth (softmax cross-entropy at 8x8 takes 10 s). The
        verdict never waits for it; without it nothing is printed or proved symbolically."""
        from backprop_coach.expr.symbolic import build, symbols_for
        from backprop_coach.grading.budget import OutOfTime, cpu_budget
        from backprop_coach.grading.sympy_world import SymbolicSetting

        if not self.symbolic_size:
            return None
        try:
            with cpu_budget(SYMBOLIC_BUDGET):
                world = build_world(
                    self.problem,
                    list(self.world.primaries),
                    self.let_trees,
                    self.loss_tree,
                    lambda n, shape, domain: symbols_for(n, shape, domain),
                    build,
                )
                symbolic = SymbolicSetting(self.problem, world)
                symbolic.truth  # noqa: B018 - the expensive part, built inside the budget
        except (OutOfTime, RecursionError):
            return None
        return symbolic

    @cached_property
    def printed(self) -> Printed | None:
        """The truth as text, pretty-printed and in LaTeX (SymPy's; a matrix's first entry for
        the last two), or None when SymPy has no truth or printing takes more than
        PRINT_BUDGET seconds of CPU."""
        from backprop_coach.grading.budget import OutOfTime, cpu_budget

        symbolic = self.symbolic
        if symbolic is None:
            return None
        try:
            with cpu_budget(PRINT_BUDGET):
                return Printed(symbolic.truth_text, symbolic.truth_pretty, symbolic.truth_latex)
        except (OutOfTime, RecursionError):
            return None

    @cached_property
    def factors(self) -> list[Factor]:
        """Factors a learner commonly drops or adds (built when a claim first needs them)."""
        return _factors(self.loss_tree, self.let_trees, self.world)

    # -- numbers -------------------------------------------------------------------------------
    @cached_property
    def literals(self) -> list[float]:
        """Every number written in the loss and the lets (thresholds to sample across)."""
        trees = [self.loss_tree.tree, *(p.tree for p in self.let_trees.values())]
        return literals(trees)

    def draw(
        self,
        size: int,
        rng: np.random.Generator,
        domains: dict[str, str] | None = None,
        wide: float | None = None,
    ) -> Points:
        """Sample every primary from its domain (`domains` overrides some) and compute the wrt
        node's value there. `wide`: the range of the wide draws (by default, beyond every
        literal of the problem: grading.sampling.wide_range)."""
        arrays: dict[str, np.ndarray] = {}
        chosen = domains or {}
        reach = wide if wide is not None else wide_range(self.literals)
        for name, value in self.world.primaries.items():
            kind = chosen.get(name) or domain_of(self.problem, name)
            arrays[name] = sample(kind, value.shape, size, rng, reach)
        points = Points(arrays, size)
        return self.bind_wrt(points)

    def bind_wrt(self, points: Points) -> Points:
        """The points with the wrt node's value added, when wrt is a let."""
        definition = self.world.wrt_definition
        if definition is None:
            return points
        return points.with_values({self.problem.wrt: points.values(definition)})

    def loss_values(self, points: Points) -> np.ndarray:
        return points.values(self.world.loss)[:, 0, 0]


_CACHE: OrderedDict[str, Setting] = OrderedDict()
CACHE_SIZE = 64


def setting_for(problem: Problem) -> Setting:
    """build_setting, remembered for the last CACHE_SIZE problems of this process (a quiz grades
    many attempts at one question, a batch many claims about one problem; the SymPy world, once
    built for a proof, is reused too). Raises ExprError subclasses on bad input."""
    key = json.dumps(problem.to_json(), sort_keys=True)
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    setting = build_setting(problem)
    _CACHE[key] = setting
    if len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return setting


def literals(trees: list[Node]) -> list[float]:
    """The numbers written in some trees."""
    return [float(n.value) for tree in trees for n in walk(tree) if isinstance(n, Num)]


def let_shapes(problem: Problem) -> dict[str, str]:
    """The shape of every let ("scalar", "2x3"), as the problem builds it; {} when it does not
    build (the names table then leaves them out)."""
    try:
        world = setting_for(problem).world
    except ExprError:
        return {}
    return {name: shape_text(value.shape) for name, value in world.lets.items()}


def build_setting(problem: Problem) -> Setting:
    """Parse and build a problem (numerically: no SymPy). Raises ExprError subclasses on bad
    input."""
    loss_tree, let_trees, order = read_problem(problem)
    world = build_world(
        problem,
        order,
        let_trees,
        loss_tree,
        lambda n, shape, _: tensor.leaf(n, shape),
        tensor.build,
    )
    return Setting(
        problem,
        world,
        tensor.gradient(world.loss, world.wrt_value),
        let_trees,
        loss_tree,
        world.log.echo(loss_tree.tree),
        world.lets_read_as,
        world.log.notes,
    )


def _factors(loss_tree: Parsed, let_trees: dict[str, Parsed], world: World[Op]) -> list[Factor]:
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
                        found[label] = Factor(label, tensor.build(candidate, world.scope))
                    except ShapeError:
                        continue
    for name, value in [*world.primaries.items(), *world.lets.items()]:
        found.setdefault(name, Factor(name, value))
        if value.shape is not None:
            found.setdefault(name + ".T", Factor(name + ".T", tensor.TENSOR.transpose(value)))
    return list(found.values())
