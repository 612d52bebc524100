"""Spaced repetition with FSRS (py-fsrs): each question is a card, each settled question a review.

Choosing what to ask: due cards first (most overdue first), then new questions (at most the
daily new-card limit; one that names another with `after` waits for it), then, outside --due,
the rest by how soon they fall due.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # stats needs the schedule, not the bank's model (nor the parser it imports)
    from backprop_coach.bank.model import Question

DAILY_NEW_LIMIT = 10
RATINGS = ("again", "hard", "good", "easy")


class Scheduler:
    """A thin wrapper over fsrs.Scheduler that speaks JSON and rating names."""

    def __init__(self, fuzz: bool = True) -> None:
        import fsrs

        self._fsrs = fsrs
        self._scheduler = fsrs.Scheduler(enable_fuzzing=fuzz)

    def review(
        self, card_json: dict[str, Any] | None, rating: str, at: datetime
    ) -> tuple[str, datetime]:
        """The card after a review with this rating: (card as JSON, next due time)."""
        fsrs = self._fsrs
        card = fsrs.Card.from_dict(card_json) if card_json else fsrs.Card(due=at)
        rated = {
            "again": fsrs.Rating.Again,
            "hard": fsrs.Rating.Hard,
            "good": fsrs.Rating.Good,
            "easy": fsrs.Rating.Easy,
        }[rating]
        card, _log = self._scheduler.review_card(card, rated, review_datetime=at)
        return card.to_json(), card.due


def choose(
    questions: Sequence[Question],
    cards: dict[str, dict[str, Any]],
    at: datetime,
    count: int,
    mode: str = "default",
    new_limit: int = DAILY_NEW_LIMIT,
    rng: random.Random | None = None,
) -> list[Question]:
    """Which questions to ask, in order. mode: "default", "due" (due and new only) or "cram"
    (anything, weakest first; the schedule is not touched)."""
    rng = rng or random.Random()
    seen = [q for q in questions if q.id in cards]
    new = [q for q in questions if q.id not in cards]
    rng.shuffle(new)
    new.sort(key=lambda q: q.difficulty)  # new material starts easy; shuffled within a level
    new = _in_order(new, cards)
    due = sorted((q for q in seen if cards[q.id]["due"] <= at), key=lambda q: cards[q.id]["due"])
    later = sorted((q for q in seen if cards[q.id]["due"] > at), key=lambda q: cards[q.id]["due"])
    if mode == "cram":
        return (due + later + new)[:count]
    start_of_day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    introduced_today = sum(1 for c in cards.values() if c["introduced_at"] >= start_of_day)
    allowed_new = max(0, new_limit - introduced_today)
    if mode == "due":
        return (due + new[:allowed_new])[:count]
    return (due + new[:allowed_new] + later + new[allowed_new:])[:count]


def _in_order(new: list[Question], cards: dict[str, dict[str, Any]]) -> list[Question]:
    """The new questions in their given order, except that one whose `after` the learner has
    not seen waits until that question has been placed before it; one whose `after` is neither
    seen nor among these (filtered out by topic, kind or difficulty) is not asked at all."""
    placed: list[Question] = []
    placed_ids: set[str] = set()
    waiting = list(new)
    progress = True
    while waiting and progress:
        progress = False
        for q in list(waiting):
            if q.after is None or q.after in cards or q.after in placed_ids:
                placed.append(q)
                placed_ids.add(q.id)
                waiting.remove(q)
                progress = True
                break  # restart: the first waiting question that is now free goes next
    return placed


def due_counts(cards: dict[str, dict[str, Any]], at: datetime) -> tuple[int, int]:
    """(due now, due within the next 7 days)."""
    now_count = sum(1 for c in cards.values() if c["due"] <= at)
    week = sum(1 for c in cards.values() if c["due"] <= at + timedelta(days=7))
    return now_count, week
