"""Grade an answer to a bank question: derivations through the checker (with the question's
tailored feedback when the answer matches a listed mistake), numeric questions against the
engine's value for the variant drawn from a seed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from backprop_coach.bank.model import NumericSpec, Question
from backprop_coach.engine.backprop import Trace, trace
from backprop_coach.engine.network import Network, random_network
from backprop_coach.engine.quantities import formula, select, value_of
from backprop_coach.expr.errors import ExprError
from backprop_coach.expr.functions import DIFFERENTIABLE
from backprop_coach.expr.parse import parse, parse_number
from backprop_coach.expr.problem import names_in_play
from backprop_coach.expr.quantity import parse_quantity_claim
from backprop_coach.expr.tensor import Points
from backprop_coach.expr.tree import Call, to_text, walk
from backprop_coach.grading.grader import grade
from backprop_coach.grading.rounding import decimals_for, judge
from backprop_coach.grading.setting import Setting, let_shapes, setting_for
from backprop_coach.grading.verdict import CORRECT, INCORRECT, Verdict, invalid

PREVIOUS = "previous attempt"


def grade_derivation(
    question: Question, answer: str, previous: str | None = None, fmt: str = "auto"
) -> Verdict:
    assert question.problem is not None
    try:
        setting = setting_for(question.problem)
    except ExprError as err:
        return invalid(f"question {question.id} is broken: {err}")
    compare = {f"mistake {i}": w.answer for i, w in enumerate(question.wrong_answers)}
    if previous:
        compare[PREVIOUS] = previous
    verdict = grade(setting, answer, compare=compare, fmt=fmt, forbid=question.forbid)
    feedback = None
    if verdict.verdict == INCORRECT:
        feedback = next(
            (w.feedback for i, w in enumerate(question.wrong_answers)
             if f"mistake {i}" in verdict.matches),
            None,
        )  # fmt: skip
    return replace(verdict, feedback=feedback, same_as_previous=PREVIOUS in verdict.matches)


def self_answers(question: Question) -> list[str]:
    """Answers that use the question's own notation f'(u) and are accepted: a question whose
    answer is σ'(z) itself must forbid "sigmoid'" (bank validation demands it)."""
    assert question.problem is not None
    setting = setting_for(question.problem)
    trees = [p.tree for p in (*setting.let_trees.values(), setting.loss_tree)]
    arguments = {to_text(a) for t in trees for n in walk(t) if isinstance(n, Call) for a in n.args}
    arguments.add(question.problem.wrt)
    # a few points first: a candidate plainly different there is no answer, and only the rest
    # pay a full grade (the grade alone decides; this only skips sure rejections)
    points = setting.draw(8, np.random.default_rng(0))
    truth = points.values(setting.truth)
    accepted = []
    for func in sorted(DIFFERENTIABLE):
        for argument in sorted(arguments):
            candidate = f"{func}'({argument})"
            if _plainly_different(setting, candidate, points, truth):
                continue
            if grade(setting, candidate, display=False).verdict == CORRECT:
                accepted.append(candidate)
    return accepted


def _plainly_different(setting: Setting, candidate: str, points: Points, truth: Any) -> bool:
    """Whether a candidate answer differs from the truth by far more than rounding at some
    point where both are finite (or has another shape, or does not build)."""
    try:
        value = points.values(setting.build(parse(candidate).tree))
    except ExprError:
        return True
    if value.shape != truth.shape:
        return True
    with np.errstate(all="ignore"):
        finite = np.isfinite(value) & np.isfinite(truth)
        gap = np.abs(value - truth)[finite]
        scale = np.abs(truth)[finite] + np.abs(value)[finite] + 1.0
    return bool((gap > 1e-6 * scale).any())


def network_for(spec: NumericSpec, seed: int) -> Network:
    return random_network(
        spec.layers, spec.activations, spec.loss, seed, spec.decimals, spec.lr,
        spec.update_biases, spec.examples,
    )  # fmt: skip


def numeric_truth(spec: NumericSpec, seed: int) -> tuple[Trace, float, str]:
    """The engine's worked network for a variant, the asked value, and its formula."""
    worked = trace(network_for(spec, seed), check_gradients=False)
    claim = parse_quantity_claim(f"{spec.ask}=0")
    value = select(value_of(worked, claim.base, claim.layer), claim.index)
    return worked, float(value), formula(worked, claim.base, claim.layer)


@dataclass(frozen=True)
class Worked:
    """A numeric question's variant worked by the engine, once: the network the learner
    copies, every quantity (`trace`), the asked value and the formula that gives it."""

    trace: Trace
    value: float
    law: str

    @property
    def network(self) -> Network:
        return self.trace.network


def worked_for(question: Question, seed: int) -> Worked | None:
    """The worked variant of a numeric question (None for other kinds)."""
    if question.numeric is None:
        return None
    return Worked(*numeric_truth(question.numeric, seed))


def names_for(question: Question) -> list[tuple[str, str, str]]:
    """(name, shape, domain or definition) for every name a derivation's answer may use, lets
    with the shape they build to; [] for other kinds."""
    if question.problem is None:
        return []
    return names_in_play(question.problem, let_shapes(question.problem))


def grade_numeric(question: Question, answer: str, seed: int) -> Verdict:
    """A number for a numeric question, by the one rule for a learner's numbers
    (grading.rounding) with at least the question's significant figures. The message of a wrong
    answer never shows the true value (attempts may remain); the renderer shows `truth` once
    the question is over."""
    assert question.numeric is not None
    spec = question.numeric
    try:
        given = parse_number(answer, "answer")
        _, truth, law = numeric_truth(spec, seed)
        judged = judge(given, truth, spec.ask, figures=spec.figures)
    except ExprError as err:
        return invalid(str(err), answer)
    facts: dict[str, Any] = {"truth_value": truth, "formula": law}
    shown = f"{truth:.{decimals_for(truth, spec.figures + 2)}f}"
    if judged.correct:
        return Verdict(CORRECT, None, f"correct: {spec.ask} = {shown}", answer, shown, **facts)
    message = judged.message if judged.code != "wrong" else f"not quite: {spec.ask} is not {answer}"
    return Verdict(INCORRECT, judged.code, message, answer, shown, **facts)
