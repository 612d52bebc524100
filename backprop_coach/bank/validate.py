"""Prove a question right with the tool itself: the reference answer is graded correct, every
listed mistake is graded incorrect with its stated diagnosis, every explanation step that
writes the gradient equals it, and numeric templates give finite, hand-sized numbers."""

from __future__ import annotations

import math
import re

import numpy as np

from backprop_coach.bank.model import Question
from backprop_coach.expr.errors import ExprError
from backprop_coach.expr.quantity import parse_quantity_claim

SEEDS = range(5)
MAX_HAND_VALUE = 100.0


# A prompt that leans on another question ("Same neuron: ...") reads as nonsense when the quiz
# asks it first, and the quiz asks in any order: every prompt states its own setting.
LEANING = re.compile(r"\s*(same|the same|as before|as above|continuing|now)\b", re.IGNORECASE)


def validate_question(question: Question) -> list[str]:
    """Everything wrong with one question, each naming the field; empty when it is proved."""
    leaning = LEANING.match(question.prompt)
    stands_alone = (
        [f"prompt: opens with {leaning[1]!r}, as if another question came first; the quiz asks "
         "in any order, so state the setting in full"]
        if leaning else []
    )  # fmt: skip
    if question.kind == "derivation":
        return stands_alone + _derivation(question)
    if question.kind == "numeric":
        return stands_alone + _numeric(question)
    return stands_alone + _concept(question)


def _derivation(q: Question) -> list[str]:
    from backprop_coach.bank.grade import grade_derivation, self_answers

    failures = []
    accepted: dict[str, str] = {}
    for candidate in self_answers(q):
        accepted.setdefault(candidate.split("(")[0], candidate)
    for prime, candidate in accepted.items():
        if prime not in q.forbid:
            failures.append(
                f'forbid: the answer {candidate} is accepted, so the question answers itself; '
                f'add forbid = ["{prime}"]'
            )
    verdict = grade_derivation(q, q.answer or "")
    if verdict.verdict != "correct":
        failures.append(f"answer: the checker says {verdict.verdict}: {verdict.message}")
    for i, wrong in enumerate(q.wrong_answers):
        v = grade_derivation(q, wrong.answer)
        if v.verdict != "incorrect" or v.diagnosis != wrong.diagnosis:
            failures.append(
                f"wrong_answers[{i}]: expected incorrect/{wrong.diagnosis}, "
                f"the checker says {v.verdict}/{v.diagnosis}: {v.message}"
            )
    for i, step in enumerate(q.explanation):
        if step.expr is None:
            continue
        v = grade_derivation(q, step.expr)
        if v.verdict != "correct":
            failures.append(
                f"explanation[{i}].expr: does not equal the answer ({v.verdict}: {v.message})"
            )
    return failures


def _numeric(q: Question) -> list[str]:
    from backprop_coach.bank.grade import network_for, numeric_truth

    assert q.numeric is not None
    spec = q.numeric
    try:
        parse_quantity_claim(f"{spec.ask}=0")
    except ExprError as err:
        return [f"network.ask: {err}"]
    failures = []
    for seed in SEEDS:
        try:
            net = network_for(spec, seed)
            _, value, _ = numeric_truth(spec, seed)
        except Exception as err:  # any engine failure is a broken template
            return [f"network: seed {seed}: {err}"]
        if not math.isfinite(value) or abs(value) > MAX_HAND_VALUE:
            failures.append(
                f"network: seed {seed} gives {spec.ask} = {value}, not a hand-sized number"
            )
        numbers = np.concatenate([layer.W.ravel() for layer in net.layers] + [net.x.ravel()])
        if not np.allclose(numbers, np.round(numbers, spec.decimals)):
            failures.append(
                f"network: seed {seed} draws numbers with more than {spec.decimals} decimals"
            )
    return failures


def _concept(q: Question) -> list[str]:
    failures = []
    if len(q.model_answer or "") < 80:
        failures.append("model_answer: too short to be a model answer (80 characters at least)")
    if len(q.key_points) < 2:
        failures.append("key_points: list at least two")
    return failures
