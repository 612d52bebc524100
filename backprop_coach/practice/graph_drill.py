"""The graph drill (`quiz --graph-drill`): a small computational graph with every node's value,
the gradient of the nodes one node feeds, and that node's gradient to find by one step of the
chain rule (∂L/∂u = Σ over the nodes v that use u of ∂L/∂v · ∂v/∂u), graded like a numeric
answer (grading.rounding: correctly rounded, at least FIGURES significant figures).

Each drill is a question of the session like any other (kind numeric, topic graph-drill); its
variant seed draws the point and the node asked."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from pathlib import Path

from backprop_coach.bank.model import Question, Step
from backprop_coach.expr.errors import ExprError
from backprop_coach.expr.parse import parse_number
from backprop_coach.expr.problem import Problem, problem_from_specs
from backprop_coach.grading.graph import LOSS, Graph, graph_of
from backprop_coach.grading.rounding import decimals_for, judge
from backprop_coach.grading.verdict import CORRECT, INCORRECT, Verdict, invalid

TOPIC = "graph-drill"
FIGURES = 3

# name -> (loss, lets, domains, difficulty): scalar graphs small enough to work by hand
DRILLS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], int]] = {
    "product": ("q*z", ("q=x+y",), (), 1),
    "neuron": ("(a - y)^2/2", ("z=w*x+b", "a=sigmoid(z)"), (), 1),
    "tanh-neuron": ("(a - y)^2/2", ("z=w*x+b", "a=tanh(z)"), (), 2),
    "used-twice": ("v^2/2", ("u=w*x", "v=u+x"), (), 2),
    "logistic": ("-(y*log(p) + (1 - y)*log(1 - p))", ("z=w*x+b", "p=sigmoid(z)"), ("y=binary",), 2),
}

PROMPT = (
    "The graph shows every node's value at one point and ∂L/∂ of the nodes just above the one "
    "marked ?. Find ∂L/∂ of the node marked ?, to {figures} significant figures: multiply each "
    "∂L/∂(node above) by the local derivative of the edge between them, and add over the edges."
)


def problem_of(name: str) -> Problem:
    loss, lets, domains, _ = DRILLS[name]
    inputs = problem_from_specs(loss, "", lets, (), domains)
    from backprop_coach.expr.problem import read_problem

    _, _, order = read_problem(inputs)
    return problem_from_specs(loss, order[0], lets, (), domains)


def drill_questions() -> list[Question]:
    """One question per drill graph."""
    questions = []
    for name, (_, _, _, difficulty) in DRILLS.items():
        questions.append(
            Question(
                id=f"{TOPIC}-{name}",
                topic=TOPIC,
                difficulty=difficulty,
                kind="numeric",
                prompt=PROMPT.format(figures=FIGURES),
                hints=(
                    "Find the edges out of the node marked ?: each goes to a node whose ∂L/∂ is "
                    "shown.",
                    "The local derivative of an edge u → v is ∂v/∂u with the other inputs of v "
                    "held fixed: for v = w*x it is w (∂v/∂x), for a = sigmoid(z) it is a(1 − a).",
                    "Where the node feeds two nodes, add the two products: gradients add where "
                    "paths meet.",
                ),
                explanation=(
                    Step("∂L/∂u = Σ over the edges u → v of ∂L/∂v · ∂v/∂u (the chain rule)."),
                ),
                tags=("graph",),
                source="backprop-coach graph drill",
                path=Path(f"<graph drill {name}>"),
                extra={"graph_drill": name},
            )
        )
    return questions


def is_drill(question: Question) -> bool:
    return "graph_drill" in question.extra


@dataclass(frozen=True)
class Drill:
    """A variant: the graph at its point, the node asked, and the truth ∂L/∂node."""

    graph: Graph
    target: str
    truth: float

    @property
    def shown(self) -> set[str]:
        """The nodes whose ∂L/∂ is shown: the ones the target feeds."""
        return {e.target for e in self.graph.out_of(self.target)}


def drill_for(question: Question, seed: int) -> Drill:
    """The variant `seed` of a drill question: its point (graph.draw_point) and its node (any
    but L, chosen by the seed)."""
    name = question.extra["graph_drill"]
    graph = graph_of(problem_of(name), seed=seed)
    candidates = [n.name for n in graph.nodes if n.name != LOSS and graph.out_of(n.name)]
    target = random.Random(seed).choice(candidates)
    truth = float(graph.node(target).grad.reshape(-1)[0])
    return Drill(replace(graph, wrt=target), target, truth)


def grade_drill(question: Question, answer: str, seed: int) -> Verdict:
    """A number for a drill, by the one rule for a learner's numbers (at least FIGURES
    significant figures); the message of a wrong answer never shows the truth. Bad input (not
    a number, too few figures) is an `invalid` verdict: no attempt used."""
    drill = drill_for(question, seed)
    what = f"∂L/∂{drill.target}"
    try:
        given = parse_number(answer, "answer")
        judged = judge(given, drill.truth, what, figures=FIGURES)
    except ExprError as err:
        return invalid(str(err), answer)
    shown = f"{drill.truth:.{decimals_for(drill.truth, FIGURES + 2)}f}"
    if judged.correct:
        message = f"correct: {what} = {shown}"
        return Verdict(CORRECT, None, message, answer, shown, truth_value=drill.truth)
    message = judged.message if judged.code != "wrong" else f"not quite: {what} is not {answer}"
    return Verdict(INCORRECT, judged.code, message, answer, shown, truth_value=drill.truth)
