"""What the bank covers: counts of questions by topic, kind and, for derivations, layout, so that
the gaps show (`bank list --coverage`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from backprop_coach.bank.model import Question

LAYOUTS = ("scalar", "column", "row")
ROW_TAG = "row-layout"  # batch-first (PyTorch): examples are rows
COLUMN_TAG = "column-layout"  # examples are columns, as in most textbooks


def layout(question: Question) -> str | None:
    """A derivation's layout: "row" when tagged row-layout; "column" when tagged column-layout
    or when the problem has a matrix or vector (a shape other than 1x1); "scalar" otherwise.
    None for numeric and concept questions. Raises nothing."""
    if question.problem is None:
        return None
    if ROW_TAG in question.tags:
        return "row"
    shaped = any(shape != (1, 1) for shape in question.problem.shapes.values())
    if COLUMN_TAG in question.tags or shaped:
        return "column"
    return "scalar"


@dataclass(frozen=True)
class Counts:
    """Questions of one topic (or of all): derivations by layout, numeric, concept."""

    derivation: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LAYOUTS, 0))
    numeric: int = 0
    concept: int = 0

    @property
    def total(self) -> int:
        return sum(self.derivation.values()) + self.numeric + self.concept

    def to_json(self) -> dict[str, Any]:
        return {
            "derivation": dict(self.derivation),
            "numeric": self.numeric,
            "concept": self.concept,
            "total": self.total,
        }


@dataclass(frozen=True)
class Coverage:
    topics: dict[str, Counts]  # sorted by topic
    total: Counts

    def to_json(self) -> dict[str, Any]:
        return {
            "topics": [{"topic": t, **c.to_json()} for t, c in self.topics.items()],
            "total": self.total.to_json(),
        }


def coverage(questions: Sequence[Question]) -> Coverage:
    """Counts by topic (sorted), and the totals. Raises nothing."""
    by_topic: dict[str, list[Question]] = {}
    for q in questions:
        by_topic.setdefault(q.topic, []).append(q)
    topics = {topic: _count(by_topic[topic]) for topic in sorted(by_topic)}
    return Coverage(topics, _count(questions))


def _count(questions: Sequence[Question]) -> Counts:
    derivation = dict.fromkeys(LAYOUTS, 0)
    for q in questions:
        kind = layout(q)
        if kind is not None:
            derivation[kind] += 1
    return Counts(
        derivation=derivation,
        numeric=sum(q.kind == "numeric" for q in questions),
        concept=sum(q.kind == "concept" for q in questions),
    )
