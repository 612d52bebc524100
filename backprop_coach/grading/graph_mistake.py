"""Where a wrong gradient departs from the truth on the computational graph: the edge whose
local derivative is missing or extra (a missing σ'(z) is the edge z → a), the path left out
(a name used twice whose gradient counts one path only), or the edge that should have been
transposed. Decided from the numbers at sample points, as the verdict is: the claim against
the truth divided or multiplied by one edge's local derivative, or with one edge cut."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_coach.expr.errors import ExprError
from backprop_coach.expr.functions import DIFFERENTIABLE
from backprop_coach.expr.parse import parse
from backprop_coach.expr.problem import Problem
from backprop_coach.expr.tensor import Points
from backprop_coach.expr.tree import Call, to_text
from backprop_coach.grading.diagnosis import close
from backprop_coach.grading.graph import (
    LOSS,
    Structure,
    backward,
    forward,
    local_derivative,
    local_texts,
    structure_of,
)
from backprop_coach.grading.setting import setting_for
from backprop_coach.grading.verdict import Verdict

POINTS = 16  # sample points the marker is decided at


@dataclass(frozen=True)
class Mistake:
    """What the grader said about a claim, as the graph needs it."""

    diagnosis: str | None
    factor: str | None  # the missing or extra factor's label, e.g. sigmoid'(z)
    message: str


def mistake_of(verdict: Verdict) -> Mistake:
    """The one place a Verdict is read for the graph."""
    return Mistake(verdict.diagnosis, verdict.factor, verdict.message)


@dataclass(frozen=True)
class Marker:
    """The mistake on the graph: the edge it is on (None when it is no one edge's: a sign, a
    constant, a wrong formula), a short label for that edge and a sentence for under the
    picture."""

    edge: tuple[str, str] | None
    kind: str  # missing | extra | missing_part | extra_part | dropped_path | transposed | elsewhere
    label: str
    sentence: str


def on_paths(structure: Structure, wrt: str) -> list[tuple[str, str]]:
    """The edges on some path from wrt to L."""
    reach = {wrt}
    for source, target in structure.edges():  # edges come in order from the inputs
        if source in reach:
            reach.add(target)
    return [(s, t) for s, t in structure.edges() if s in reach]


def locate(problem: Problem, claim: str, mistake: Mistake, seed: int = 0) -> Marker:
    """The marker for a wrong claim about ∂L/∂wrt. Raises ExprError subclasses when the
    problem does not build (the claim was graded on it, so it does)."""
    structure = structure_of(problem)
    setting = setting_for(problem)
    wrt = problem.wrt
    sampled = setting.draw(POINTS, np.random.default_rng(seed))
    inputs = Points({n: sampled.arrays[n] for n in structure.inputs}, sampled.size)
    bound = forward(structure, inputs)
    grads, _ = backward(structure, bound)
    truth = grads[wrt]
    try:
        claim_values = sampled.values(setting.build(parse(claim).tree))
    except ExprError:
        claim_values = None
    texts = local_texts(structure)
    edges = on_paths(structure, wrt)

    def shown(edge: tuple[str, str]) -> str:
        text = texts.get(edge)
        return f"∂{edge[1]}/∂{edge[0]}" + (f" = {text}" if text else "")

    if mistake.diagnosis == "transposed" and edges:
        first = edges[0]
        return Marker(
            first, "transposed", "your gradient is transposed here",
            f"transposed at {first[0]} → {first[1]}: ∂L/∂{wrt} has the shape of {wrt}; "
            f"your claim is its transpose",
        )  # fmt: skip
    if claim_values is not None and claim_values.shape == truth.shape:
        with np.errstate(all="ignore"):
            for edge in edges if mistake.diagnosis != "extra_factor" else structure.edges():
                local = local_derivative(structure, bound, edge)
                if local is None or not _broadcasts(local, truth):
                    continue
                if mistake.diagnosis != "extra_factor" and _same(truth, claim_values * local):
                    return Marker(
                        edge, "missing", "missing from your gradient",
                        f"your gradient is missing the local derivative of the edge "
                        f"{edge[0]} → {edge[1]}, {shown(edge)}: the chain rule multiplies it "
                        f"in on the way from L down to {wrt}",
                    )  # fmt: skip
                if mistake.diagnosis != "missing_factor" and _same(claim_values, truth * local):
                    return Marker(
                        edge, "extra", "an extra factor in your gradient",
                        f"your gradient has an extra factor {shown(edge)}, the local derivative "
                        f"of the edge {edge[0]} → {edge[1]}: it is multiplied in once too often "
                        f"or where it does not belong",
                    )  # fmt: skip
            for edge in edges:
                cut, _ = backward(structure, bound, cut=edge)
                if _same(claim_values, cut[wrt]) and not _same(claim_values, truth):
                    return Marker(
                        edge, "dropped_path", "this path is left out of your gradient",
                        f"you left out the path through the edge {edge[0]} → {edge[1]}: ∂L/∂{wrt} "
                        f"is the sum over every path from {wrt} up to L (gradients add where "
                        f"paths meet), and yours misses that one",
                    )  # fmt: skip
    part = _activation_edge(structure, edges, mistake)
    if part is not None:
        word = "missing" if mistake.diagnosis == "missing_factor" else "extra"
        return Marker(
            part, f"{word}_part", f"part of this local derivative is {word}",
            f"the local derivative of the edge {part[0]} → {part[1]}, {shown(part)}, is "
            f"{mistake.factor} times the rest; your gradient has that factor {word}",
        )  # fmt: skip
    return Marker(None, "elsewhere", "", f"not one edge of the graph: {mistake.message}")


def _activation_edge(
    structure: Structure, edges: list[tuple[str, str]], mistake: Mistake
) -> tuple[str, str] | None:
    """The edge u → a of an activation a = f(u) whose local derivative a missing or extra
    factor is part of: the factor names a, or is written with f(u) (σ'(z) = σ(z)(1 − σ(z)),
    and 1 − σ(z) was dropped)."""
    if mistake.diagnosis not in ("missing_factor", "extra_factor") or not mistake.factor:
        return None
    for source, target in edges:
        tree = structure.trees.get(target)
        if not (isinstance(tree, Call) and tree.func in DIFFERENTIABLE and not tree.prime):
            continue
        if mistake.factor == target or to_text(tree) in mistake.factor:
            return source, target
    return None


def _broadcasts(a: np.ndarray, b: np.ndarray) -> bool:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        return False
    return True


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.broadcast_arrays(a, b)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < a.size // 2:
        return False
    return bool(close(np.where(ok, a, 0.0), np.where(ok, b, 0.0)))


__all__ = ["LOSS", "Marker", "Mistake", "locate", "mistake_of"]
