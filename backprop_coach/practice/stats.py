"""Progress statistics from the stored attempts and cards: plain data, rendered elsewhere."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from backprop_coach.practice.schedule import due_counts

LEECH_MISSES = 4
GRADED = ("correct", "incorrect", "revealed", "rated")
MISSES = ("incorrect", "revealed")
HABITS = {
    "missing_factor": "drop {detail}",
    "extra_factor": "add an extra {detail}",
    "sign_flip": "flip the sign",
    "constant_factor": "are off by a constant factor ({detail})",
    "transposed": "transpose the gradient",
    "shape_mismatch": "give the wrong shape",
    "shape_error": "multiply non-conforming shapes",
    "wrong_argument": "put one quantity in place of another",
    "domain": "assume more about a quantity than the problem says",
    "rounding": "truncate or round too early",
    "wrong": "give a different answer",
}


@dataclass
class TopicStats:
    topic: str
    attempts: int
    correct: int
    accuracy: float
    avg_seconds: float


@dataclass
class Habit:
    diagnosis: str
    detail: str | None
    count: int
    topic: str
    topic_share: float  # of graded attempts in that topic
    sentence: str


@dataclass
class Stats:
    total_attempts: int
    topics: list[TopicStats]
    streak_days: int
    due_now: int
    due_week: int
    practice_days: dict[str, int]
    most_missed: list[dict[str, Any]]
    habits: list[Habit] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def general_detail(detail: str | None) -> str | None:
    """sigmoid'(z1) and sigmoid'(z2) are the same habit: dropping sigmoid'(z)."""
    if detail is None:
        return None
    return re.sub(r"^(\w+)'\(.*\)$", r"\1'(z)", detail)


def right(result: str, rating: str | None) -> bool:
    """The one rule for "right": answered correctly, or a concept recalled (rated better than
    again). `result` is an attempt's verdict or an outcome's result."""
    return result == "correct" or (result == "rated" and rating != "again")


def counts(attempt: dict[str, Any]) -> bool:
    """An attempt that is graded (not a skip), and not a `:show` after the learner's own
    answers to the same question: that reveal ends a miss already counted, it is no new try
    (its `attempt` number is one past the answers given)."""
    if attempt["verdict"] == "revealed":
        return int(attempt["attempt"]) <= 1
    return attempt["verdict"] in GRADED


def compute(
    attempts: list[dict[str, Any]], cards: dict[str, dict[str, Any]], at: datetime
) -> Stats:
    graded = [a for a in attempts if counts(a)]
    by_topic: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in graded:
        by_topic[a["topic"]].append(a)
    topics = []
    for topic, rows in sorted(by_topic.items()):
        correct = sum(1 for a in rows if right(a["verdict"], a["detail"]))
        topics.append(
            TopicStats(
                topic,
                len(rows),
                correct,
                correct / len(rows),
                sum(a["seconds"] for a in rows) / len(rows),
            )
        )

    days = Counter(datetime.fromisoformat(a["answered_at"]).date().isoformat() for a in attempts)
    misses = Counter(a["question_id"] for a in graded if a["verdict"] in MISSES)
    most_missed = [
        {"id": qid, "misses": n, "leech": n >= LEECH_MISSES} for qid, n in misses.most_common(5)
    ]
    due_now, due_week = due_counts(cards, at)
    return Stats(
        total_attempts=len(graded),
        topics=topics,
        streak_days=streak(set(days), at.date()),
        due_now=due_now,
        due_week=due_week,
        practice_days=dict(sorted(days.items())),
        most_missed=most_missed,
        habits=habits(graded, by_topic),
    )


def streak(days: set[str], today: date) -> int:
    """Consecutive practice days ending today (or yesterday, if today is still to come)."""
    day = today if today.isoformat() in days else today - timedelta(days=1)
    count = 0
    while day.isoformat() in days:
        count += 1
        day -= timedelta(days=1)
    return count


def habits(graded: list[dict[str, Any]], by_topic: dict[str, list[dict[str, Any]]]) -> list[Habit]:
    """The learner's most common mistakes, each with the topic where it happens most."""
    counts: Counter[tuple[str, str | None]] = Counter()
    where: dict[tuple[str, str | None], Counter[str]] = defaultdict(Counter)
    for a in graded:
        if a["verdict"] == "incorrect" and a["diagnosis"]:
            key = (a["diagnosis"], general_detail(a["detail"]))
            counts[key] += 1
            where[key][a["topic"]] += 1
    result = []
    for (diagnosis, detail), count in counts.most_common(5):
        topic, in_topic = where[(diagnosis, detail)].most_common(1)[0]
        share = in_topic / len(by_topic[topic])
        verb = HABITS.get(diagnosis, diagnosis).format(detail=detail or "a factor")
        times = f"{count} time{'s' if count > 1 else ''}"
        sentence = f"you {verb} in {in_topic} of {len(by_topic[topic])} {topic} attempts"
        if count > in_topic:
            sentence += f" ({times} across all topics)"
        result.append(Habit(diagnosis, detail, count, topic, share, sentence))
    return result
