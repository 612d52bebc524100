"""A problem as the computational graph of its lets, from the inputs to L, with every node's
value and adjoint ∂L/∂node at one point and every edge's local derivative (micrograd's
`draw_dot`, for any problem `check` takes).

Each let stands as its own leaf here (unlike grading.setting, which builds lets inline), so
that the backward pass runs let by let: the adjoint of a node is the sum, over the nodes that
use it, of their adjoint pulled back through the edge (the vector-Jacobian product),

    ∂L/∂u = Σ_{v uses u} (∂v/∂u)ᵀ ∂L/∂v,

which is "gradients add where paths meet" for a name used twice. Every pull-back is
expr.tensor's reverse mode over one let's definition, so the numbers are the grader's own.
Local derivatives are printed with SymPy where that is cheap (within LOCAL_BUDGET seconds of
CPU, for scalar edges); otherwise an edge has its numbers only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from backprop_coach.expr import tensor
from backprop_coach.expr.algebra import Scope, Shape
from backprop_coach.expr.errors import SpecError
from backprop_coach.expr.functions import DIFFERENTIABLE
from backprop_coach.expr.parse import Parsed
from backprop_coach.expr.problem import (
    Problem,
    declared_names,
    domain_of,
    primary_names,
    read_problem,
)
from backprop_coach.expr.tensor import Op, Points
from backprop_coach.expr.tree import Call, Name, Node, to_text
from backprop_coach.grading.setting import setting_for
from backprop_coach.grading.world import entries, scalar

LOSS = "L"  # the loss node's name in the graph
LOCAL_BUDGET = 0.5  # seconds of CPU for SymPy to print every local derivative
JACOBIAN_ENTRIES = 4096  # larger edges get no full local Jacobian (their pull-back is shown)


@dataclass(frozen=True)
class Structure:
    """The graph of a problem, without numbers: each node's definition as a graph over the
    leaves of the nodes it uses (inputs and lets alike), in order from inputs to L."""

    problem: Problem
    inputs: dict[str, Shape]
    lets: dict[str, Shape]
    definitions: dict[str, Op]  # every let and L -> its graph over leaves
    read_as: dict[str, str]  # every let and L -> how its definition was read
    uses: dict[str, tuple[str, ...]]  # every let and L -> the names its definition uses
    trees: dict[str, Node]

    @property
    def order(self) -> list[str]:
        """Every node, inputs first, then the lets in order, then L."""
        return [*self.inputs, *self.lets, LOSS]

    def shape(self, name: str) -> Shape:
        if name == LOSS:
            return None
        return self.inputs[name] if name in self.inputs else self.lets[name]

    def edges(self) -> list[tuple[str, str]]:
        """(source, target) for every use of a node by another, in order from the inputs."""
        return [(u, v) for v in [*self.lets, LOSS] for u in self.uses[v]]

    def consumers(self, name: str) -> list[str]:
        return [v for u, v in self.edges() if u == name]


def structure_of(problem: Problem) -> Structure:
    """The graph of a problem's lets. Raises ExprError subclasses on bad input (as `check`
    does: the problem is read and built by grading.setting first)."""
    setting = setting_for(problem)  # validates names, shapes and specs with check's messages
    loss_tree, let_trees, order = read_problem(problem)
    if LOSS in let_trees or LOSS in order:
        raise SpecError(f"{LOSS} names the loss in the graph; give that quantity another name")
    inputs = {n: scalar(problem.shapes.get(n)) for n in order}
    scope: dict[str, Op] = {n: tensor.leaf(n, s) for n, s in inputs.items()}
    lets: dict[str, Shape] = {}
    definitions: dict[str, Op] = {}
    uses: dict[str, tuple[str, ...]] = {}
    trees: dict[str, Node] = {}
    declared = declared_names(problem)
    named: list[tuple[str, Parsed]] = [*let_trees.items(), (LOSS, loss_tree)]
    for name, parsed in named:
        definition = tensor.build(parsed.tree, Scope(dict(scope)))
        definitions[name] = definition
        trees[name] = parsed.tree
        used = primary_names([parsed.tree], (), declared)
        uses[name] = tuple(n for n in used if n in scope)
        if name != LOSS:
            lets[name] = scalar(definition.shape)
            scope[name] = tensor.leaf(name, lets[name])
    read_as = {**setting.lets_read_as, LOSS: setting.loss_read_as}
    return Structure(problem, inputs, lets, definitions, read_as, uses, trees)


@dataclass
class Numbers:
    """A graph evaluated at some points: every node's value and adjoint, each edge's pull-back
    (its part of the source's adjoint) and local derivative, arrays (points, rows, cols)."""

    values: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]
    pullbacks: dict[tuple[str, str], np.ndarray]
    locals_: dict[tuple[str, str], np.ndarray | None] = field(default_factory=dict)


def forward(structure: Structure, points: Points) -> Points:
    """The points with every let and L bound to its value."""
    for name in [*structure.lets, LOSS]:
        points = points.with_values({name: points.values(structure.definitions[name])})
    return points


def backward(
    structure: Structure, points: Points, cut: tuple[str, str] | None = None
) -> tuple[dict[str, np.ndarray], dict[tuple[str, str], np.ndarray]]:
    """Every node's adjoint at the (forward-bound) points, and each edge's pull-back; with
    `cut`, that edge carries nothing (the gradient a learner gets by leaving its path out)."""
    size = points.size
    grads: dict[str, np.ndarray] = {LOSS: np.ones((size, 1, 1))}
    pullbacks: dict[tuple[str, str], np.ndarray] = {}
    for name in reversed([*structure.inputs, *structure.lets]):
        rows, cols = _dims(structure.shape(name))
        total = np.zeros((size, rows, cols))
        for consumer in structure.consumers(name):
            seed = np.broadcast_to(
                grads[consumer], points.values(structure.definitions[consumer]).shape
            )
            part = points.gradient(structure.definitions[consumer], name, np.array(seed))
            pullbacks[(name, consumer)] = part
            if (name, consumer) != cut:
                total = total + part
        grads[name] = total
    return grads, pullbacks


def local_derivative(
    structure: Structure, points: Points, edge: tuple[str, str]
) -> np.ndarray | None:
    """∂target/∂source at the points, when it is a number or an array the shape of one end: a
    scalar edge, a scalar target (its gradient), a scalar source (each entry's derivative), or
    an elementwise edge (the Jacobian's diagonal, when it is diagonal). None for a full
    Jacobian (W → W@x): its pull-back says what it does."""
    source, target = edge
    definition = structure.definitions[target]
    s_shape, t_shape = structure.shape(source), definition.shape
    if s_shape is None or t_shape is None:
        return points.values(
            tensor.jacobian(definition, tensor.leaf(source, s_shape), tensor.leaf(source, s_shape))
        )
    if s_shape != t_shape or entries(s_shape) ** 2 > JACOBIAN_ENTRIES:
        return None
    full = _jacobian(points, definition, source, s_shape)
    n = entries(s_shape)
    off = full.copy()
    off[:, range(n), range(n)] = 0.0
    if np.any(off != 0.0):
        return None
    return full[:, range(n), range(n)].reshape(points.size, *s_shape)


def _jacobian(points: Points, definition: Op, source: str, shape: tuple[int, int]) -> np.ndarray:
    """The full Jacobian (points, entries of target, entries of source), row-major entries."""
    rows, cols = shape
    out = np.zeros((points.size, rows * cols, rows * cols))
    for k in range(rows * cols):
        seed = np.zeros((points.size, rows, cols))
        seed[:, k // cols, k % cols] = 1.0
        out[:, k, :] = points.gradient(definition, source, seed).reshape(points.size, -1)
    return out


def evaluate(structure: Structure, points: Points) -> Numbers:
    """Values, adjoints, pull-backs and local derivatives at the points."""
    bound = forward(structure, points)
    values = {
        n: bound.values(structure.definitions[n])
        if n in structure.definitions
        else bound.values(tensor.leaf(n, structure.shape(n)))
        for n in structure.order
    }
    grads, pullbacks = backward(structure, bound)
    numbers = Numbers(values, grads, pullbacks)
    for edge in structure.edges():
        numbers.locals_[edge] = local_derivative(structure, bound, edge)
    return numbers


def local_texts(structure: Structure) -> dict[tuple[str, str], str | None]:
    """Each edge's local derivative as text: f'(z) for an activation of one name (the label the
    grader uses for a missing factor), else SymPy's derivative of the definition, lets standing
    as symbols, for a scalar edge; None where SymPy runs out of LOCAL_BUDGET or for a matrix
    edge."""
    from backprop_coach.grading.budget import OutOfTime, cpu_budget

    texts: dict[tuple[str, str], str | None] = {}
    for source, target in structure.edges():
        tree = structure.trees[target]
        if (
            isinstance(tree, Call)
            and not tree.prime
            and tree.func in DIFFERENTIABLE
            and tree.args == (Name(source),)
        ):
            texts[(source, target)] = to_text(Call(tree.func, tree.args, prime=True))
        else:
            texts[(source, target)] = None
    todo = [e for e, t in texts.items() if t is None and _scalar_edge(structure, e)]
    if not todo:
        return texts
    try:
        with cpu_budget(LOCAL_BUDGET):
            for edge in todo:
                texts[edge] = _sympy_local(structure, edge)
    except (OutOfTime, RecursionError):
        pass
    return texts


def _scalar_edge(structure: Structure, edge: tuple[str, str]) -> bool:
    source, target = edge
    return structure.shape(source) is None and structure.shape(target) is None


def _sympy_local(structure: Structure, edge: tuple[str, str]) -> str:
    import sympy as sp

    from backprop_coach.expr.symbolic import build, symbols_for
    from backprop_coach.grading.sympy_world import readable

    source, target = edge
    problem = structure.problem
    symbols = {
        n: symbols_for(n, s, domain_of(problem, n) if n in structure.inputs else "real")
        for n, s in [*structure.inputs.items(), *structure.lets.items()]
    }
    value = build(structure.trees[target], Scope(symbols))
    derivative = readable(sp.diff(value, symbols[source]))
    return sp.sstr(derivative).replace("**", "^")


def draw_point(
    structure: Structure, at: dict[str, Fraction] | None = None, seed: int = 0
) -> Points:
    """One point: every input drawn from its domain (real ones from (−2, 2) and positive ones
    from (0.1, 2), to two decimals, so the numbers can be followed by hand), then the `at`
    values put in. Raises
    SpecError for an `at` name that is no input, or a matrix."""
    from backprop_coach.grading.sampling import sample

    at = at or {}
    for name in at:
        if name not in structure.inputs:
            known = ", ".join(structure.inputs)
            raise SpecError(f"--at {name}: not an input of the problem (inputs: {known})")
        if structure.inputs[name] is not None:
            raise SpecError(
                f"--at {name}: {name} is a matrix; --at gives scalars (the rest are drawn)"
            )
    rng = np.random.default_rng(seed)
    arrays: dict[str, np.ndarray] = {}
    for name, shape in structure.inputs.items():
        kind = domain_of(structure.problem, name)
        rows, cols = _dims(shape)
        if kind == "real":
            value = np.round(rng.uniform(-2.0, 2.0, (1, rows, cols)), 2)
        elif kind == "positive":
            value = np.round(rng.uniform(0.1, 2.0, (1, rows, cols)), 2)
        else:
            value = sample(kind, shape, 1, rng)
        if name in at:
            value = np.full((1, 1, 1), float(at[name]))
        arrays[name] = value
    return Points(arrays, 1)


@dataclass(frozen=True)
class GraphNode:
    """A node at the point: its value and its adjoint ∂L/∂node, (rows, cols) arrays."""

    name: str
    kind: str  # input | let | loss
    definition: str  # how it was read ("" for an input)
    shape: Shape
    value: np.ndarray
    grad: np.ndarray


@dataclass(frozen=True)
class GraphEdge:
    """source → target: the local derivative ∂target/∂source (text when SymPy has it, value
    when it is an array the shape of one end) and the pull-back, the edge's part of ∂L/∂source."""

    source: str
    target: str
    local: str | None
    local_value: np.ndarray | None
    pullback: np.ndarray
    note: str = ""  # more to say on the edge (a network's weight: its gradient)


@dataclass(frozen=True)
class Graph:
    """A problem's graph at one point: what `graph` draws."""

    problem: Problem | None  # None for a network's graph (grading.graph_network)
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    wrt: str

    def node(self, name: str) -> GraphNode:
        return next(n for n in self.nodes if n.name == name)

    def into(self, name: str) -> list[GraphEdge]:
        return [e for e in self.edges if e.target == name]

    def out_of(self, name: str) -> list[GraphEdge]:
        return [e for e in self.edges if e.source == name]

    def to_json(self) -> dict[str, object]:
        """{"nodes": [{name, shape, value, grad, ...}], "edges": [{from, to, local, ...}]}:
        values as numbers, or nested lists (rows of columns) for a matrix."""
        return {
            "wrt": self.wrt,
            "nodes": [
                {
                    "name": n.name,
                    "kind": n.kind,
                    "definition": n.definition,
                    "shape": _shape_json(n.shape),
                    "value": as_json(n.value, n.shape),
                    "grad": as_json(n.grad, n.shape),
                }
                for n in self.nodes
            ],
            "edges": [
                {
                    "from": e.source,
                    "to": e.target,
                    "local": e.local,
                    "local_value": None
                    if e.local_value is None
                    else as_json(e.local_value, _shape_of(e.local_value)),
                    "pullback": as_json(e.pullback, _shape_of(e.pullback)),
                    **({"note": e.note} if e.note else {}),
                }
                for e in self.edges
            ],
        }


def as_json(value: np.ndarray, shape: Shape) -> float | list[list[float]] | None:
    """A number for a scalar, rows of columns for a matrix; inf and nan as None (JSON has
    neither)."""

    def number(x: float) -> float | None:
        return float(x) if np.isfinite(x) else None

    if shape is None:
        return number(value.reshape(-1)[0])
    return [[number(x) for x in row] for row in value.reshape(shape)]  # type: ignore[misc]


def _shape_json(shape: Shape) -> list[int] | None:
    return None if shape is None else [shape[0], shape[1]]


def _shape_of(value: np.ndarray) -> Shape:
    return scalar((value.shape[0], value.shape[1]))


def _dims(shape: Shape) -> tuple[int, int]:
    return (1, 1) if shape is None else shape


def graph_of(problem: Problem, at: dict[str, Fraction] | None = None, seed: int = 0) -> Graph:
    """The graph of a problem at a point (`at` values, the other inputs drawn with `seed`).
    Raises ExprError subclasses on bad input (a problem `check` refuses; an `at` name that is
    not a scalar input)."""
    structure = structure_of(problem)
    numbers = evaluate(structure, draw_point(structure, at, seed))
    texts = local_texts(structure)
    nodes = []
    for name in structure.order:
        kind = "input" if name in structure.inputs else "loss" if name == LOSS else "let"
        shape = structure.shape(name)
        nodes.append(
            GraphNode(
                name, kind, structure.read_as.get(name, ""), shape,
                numbers.values[name][0], numbers.grads[name][0],
            )
        )  # fmt: skip
    edges = []
    for edge in structure.edges():
        local = numbers.locals_[edge]
        edges.append(
            GraphEdge(
                edge[0], edge[1], texts[edge],
                None if local is None else local[0], numbers.pullbacks[edge][0],
            )
        )  # fmt: skip
    return Graph(problem, tuple(nodes), tuple(edges), problem.wrt)
