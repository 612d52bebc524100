"""A problem's names built in one algebra (expr.algebra): the numeric graph for grading
(grading.setting) or SymPy for printing and proof (grading.sympy_world), by the one function
below, so that the two can never read a problem differently."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from backprop_coach.expr.algebra import BuildLog, Scope, Shape, shape_text
from backprop_coach.expr.errors import ShapeError, SpecError
from backprop_coach.expr.parse import Parsed
from backprop_coach.expr.problem import Problem, domain_of
from backprop_coach.expr.tree import Node

V = TypeVar("V")


@dataclass
class World(Generic[V]):
    """A problem's names built in one algebra: each primary, each let (the wrt let standing as
    its own primary, with its definition kept), and the loss."""

    primaries: dict[str, V]
    lets: dict[str, V]
    scope: Scope[V]
    loss: V
    wrt_value: V
    wrt_definition: V | None
    lets_read_as: dict[str, str]
    log: BuildLog


def build_world(
    problem: Problem,
    order: list[str],
    let_trees: dict[str, Parsed],
    loss_tree: Parsed,
    primary: Callable[[str, Shape, str], V],
    build_in: Callable[[Node, Scope[V], BuildLog], V],
) -> World[V]:
    """Build every primary (`primary(name, shape, domain)`), let and the loss in one algebra.
    Raises ExprError subclasses on bad input."""
    shape_in: Callable[[V], Shape] = lambda v: v.shape if hasattr(v, "shape") else None  # noqa: E731
    primaries = {
        n: primary(n, scalar(problem.shapes.get(n)), domain_of(problem, n)) for n in order
    }
    scope_values: dict[str, V] = dict(primaries)
    lets: dict[str, V] = {}
    wrt_value: V | None = primaries.get(problem.wrt)
    wrt_definition: V | None = None
    lets_read_as: dict[str, str] = {}
    log = BuildLog(outer=False)  # the problem itself: no column-row broadcast
    for name, parsed in let_trees.items():
        value = build_in(parsed.tree, Scope(scope_values), log)
        lets_read_as[name] = log.echo(parsed.tree)
        made = scalar(shape_in(value))
        if name in problem.shapes and problem.shapes[name] != (made or (1, 1)):
            raise SpecError(
                f"{name}={shape_text(problem.shapes[name])}, but its let makes it "
                f"{shape_text(made)}",
                "shape",
            )
        if name == problem.wrt:
            wrt_definition = value
            wrt_value = primary(name, made, "real")
            value = wrt_value
        lets[name] = value
        scope_values[name] = value
    if wrt_value is None:
        known = ", ".join(order + list(let_trees))
        raise SpecError(
            f"{problem.wrt}: not a name in the loss or a let (names: {known})", "wrt"
        )
    scope = Scope(scope_values)
    loss = build_in(loss_tree.tree, scope, log)
    loss_shape = scalar(shape_in(loss))
    if loss_shape is not None:
        raise ShapeError(
            f"the loss must be a scalar but it is {shape_text(loss_shape)}; "
            "wrap it in sum(...) or mean(...)"
        )
    return World(primaries, lets, scope, loss, wrt_value, wrt_definition, lets_read_as, log)


def entries(shape: Shape) -> int:
    return 1 if shape is None else shape[0] * shape[1]


def scalar(shape: Shape) -> Shape:
    return None if shape is None or tuple(shape) == (1, 1) else (shape[0], shape[1])


