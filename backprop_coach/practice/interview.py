"""A mock interview: one chain of linked questions, one clock for the whole interview, hints
that cost points, and a scored report. No I/O: the quiz's Session asks and grades; this adds the
clock and the scoring.

Scoring (per step, out of STEP_POINTS = 10):
* answered right: 10 − 3 for each wrong attempt before it − 2 for each hint, at least 0;
* a concept question, rated by the learner: good or easy 10, hard 5, again 0, less 2 a hint;
* missed (three wrong attempts), shown, skipped or not reached in time: 0.
The interview's score is the sum over the chain's steps, out of 10 × the number of steps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from backprop_coach.bank.chains import Chain
from backprop_coach.practice.session import Event, Item, Note, Session
from backprop_coach.practice.stats import HABITS, general_detail

MODE = "interview"
DEFAULT_LIMIT = 15 * 60.0  # seconds for the whole interview
STEP_POINTS = 10
WRONG_COST = 3
HINT_COST = 2
RATED_POINTS = {"easy": 10, "good": 10, "hard": 5, "again": 0}


@dataclass
class InterviewSession(Session):
    """The quiz's Session over a chain's items, with one clock for the whole interview: once
    `total` seconds have passed, the step in progress may still be answered, and then the
    interview ends (the steps after it are not reached)."""

    total: float = DEFAULT_LIMIT
    started: float | None = None

    def start(self) -> list[Event]:
        self.started = self.clock()
        return super().start()

    def left(self) -> float:
        """Seconds left on the interview's clock (negative: overtime)."""
        start = self.clock() if self.started is None else self.started
        return self.total - (self.clock() - start)

    def _next(self) -> list[Event]:
        if self.started is not None and self._index >= 0 and self.left() <= 0:
            if self._index + 1 < len(self.items):
                self._index = len(self.items) - 1  # the rest are not reached
                return [Note("time is up: the interview ends here"), *super()._next()]
        return super()._next()


def clock_text(left: float) -> str:
    """The toolbar's text: `interview 9:05 left`, or `interview overtime 0:12` (whole seconds,
    rounded up while time is left, so 0:00 is never shown before the end)."""
    import math

    if left <= 0:
        minutes, seconds = divmod(math.floor(-left), 60)
        return f"interview overtime {minutes}:{seconds:02d}"
    minutes, seconds = divmod(math.ceil(left), 60)
    return f"interview {minutes}:{seconds:02d} left"


@dataclass
class StepReport:
    number: int
    question_id: str
    topic: str
    result: str  # correct, missed, revealed, skipped, rated, not reached
    attempts: int
    hints: int
    seconds: float
    diagnoses: list[str] = field(default_factory=list)
    rating: str | None = None
    points: int = 0


@dataclass
class Report:
    chain_id: str
    title: str
    steps: list[StepReport]
    score: int
    out_of: int
    seconds: float
    limit: float
    strengths: list[str]
    habits: list[str]

    @property
    def percent(self) -> int:
        return round(100 * self.score / self.out_of) if self.out_of else 0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "percent": self.percent}


def points(step: StepReport) -> int:
    """The step's points by the rule in the module's docstring."""
    if step.result == "correct":
        earned = STEP_POINTS - WRONG_COST * (step.attempts - 1)
    elif step.result == "rated":
        earned = RATED_POINTS.get(step.rating or "again", 0)
    else:
        return 0
    return max(0, earned - HINT_COST * step.hints)


def report(
    chain: Chain,
    attempts: Sequence[dict[str, Any]],
    limit: float,
    seconds: float | None = None,
) -> Report:
    """The scored report of one interview from its stored attempts (rows as Store.attempts
    gives them, or Attempt fields as dicts), so the report shown at the end and the one
    `stats` rebuilds are the same. `seconds` is the interview's length (default: the sum of
    the steps' times). Raises nothing; attempts at questions outside the chain are ignored."""
    by_question: dict[str, list[dict[str, Any]]] = {}
    for row in attempts:
        by_question.setdefault(str(row["question_id"]), []).append(row)
    steps = [_step(n, qid, by_question.get(qid, [])) for n, qid in enumerate(chain.questions, 1)]
    for step in steps:
        step.points = points(step)
    total = sum(s.seconds for s in steps) if seconds is None else seconds
    return Report(
        chain.id,
        chain.title,
        steps,
        sum(s.points for s in steps),
        STEP_POINTS * len(steps),
        total,
        limit,
        _strengths(steps),
        _habits(steps, total, limit),
    )


def _step(number: int, qid: str, rows: list[dict[str, Any]]) -> StepReport:
    if not rows:
        return StepReport(number, qid, "", "not reached", 0, 0, 0.0)
    last = rows[-1]
    graded = [r for r in rows if r["verdict"] in ("correct", "incorrect")]
    verdict = str(last["verdict"])
    if verdict == "incorrect":
        result = "missed"
    else:
        result = verdict
    diagnoses = [
        _diagnosis(str(r["diagnosis"]), r["detail"])
        for r in graded
        if r["verdict"] == "incorrect" and r["diagnosis"]
    ]
    return StepReport(
        number,
        qid,
        str(last["topic"]),
        result,
        len(graded) if graded else (1 if verdict == "rated" else 0),
        max(int(r["hints"] or 0) for r in rows),
        float(last["seconds"]),
        diagnoses,
        str(last["detail"]) if verdict == "rated" and last["detail"] else None,
    )


def _diagnosis(diagnosis: str, detail: Any) -> str:
    """`missing_factor: sigmoid'(z)`: the diagnosis and, when the grader named one, its
    factor (sigmoid'(z1) and sigmoid'(z2) are one habit: sigmoid'(z))."""
    general = general_detail(detail if isinstance(detail, str) else None)
    return f"{diagnosis}: {general}" if general else diagnosis


def _strengths(steps: list[StepReport]) -> list[str]:
    clean = [s for s in steps if s.points == STEP_POINTS]
    if not clean:
        return []
    ids = ", ".join(s.question_id for s in clean)
    return [f"full marks without hints on {len(clean)} of {len(steps)} steps: {ids}"]


def _habits(steps: list[StepReport], seconds: float, limit: float) -> list[str]:
    habits: list[str] = []
    found = Counter(d for s in steps for d in s.diagnoses)
    for found_as, count in found.most_common():
        diagnosis, _, detail = found_as.partition(": ")
        verb = HABITS.get(diagnosis, diagnosis).format(detail=detail or "a factor")
        habits.append(f"you {verb} ({diagnosis}, {count} time{'s' if count > 1 else ''})")
    hinted = [s for s in steps if s.hints]
    if hinted:
        habits.append(
            f"you reached for hints on {len(hinted)} step{'s' if len(hinted) > 1 else ''} "
            f"({HINT_COST} points each): say the chain rule out loud before asking"
        )
    given_up = [s for s in steps if s.result in ("missed", "revealed", "skipped")]
    if given_up:
        habits.append(
            f"{len(given_up)} step{'s' if len(given_up) > 1 else ''} not answered right: "
            + ", ".join(s.question_id for s in given_up)
        )
    unreached = sum(s.result == "not reached" for s in steps)
    if seconds > limit:
        habits.append(f"time ran out: aim for about {limit / 60 / len(steps):.1f} min a step")
    elif unreached:
        habits.append(f"the interview ended with {unreached} of {len(steps)} steps not reached")
    return habits


def items_for(chain: Chain, questions: dict[str, Any], seed: Callable[[], int]) -> list[Item]:
    """The chain's steps as quiz items (a fresh numeric variant from `seed` for each)."""
    return [Item(questions[qid], seed()) for qid in chain.questions]


def past(
    sessions: Sequence[dict[str, Any]],
    attempts: Sequence[dict[str, Any]],
    chains: Sequence[Chain],
    limit: float = DEFAULT_LIMIT,
) -> list[dict[str, Any]]:
    """Past interviews for `stats`, oldest first: each session's chain, score and date, its
    report rebuilt from its stored attempts. A session's chain is the one whose first steps are
    exactly the questions it answered, in order (an interview always goes through a prefix of
    its chain); a session with no answers, or whose chain is no longer in the bank, is left out.
    Raises nothing."""
    by_session: dict[Any, list[dict[str, Any]]] = {}
    for row in attempts:
        by_session.setdefault(row["session_id"], []).append(row)
    result = []
    for session in sessions:
        rows = by_session.get(session["id"], [])
        asked = list(dict.fromkeys(str(r["question_id"]) for r in rows))
        chain = next((c for c in chains if list(c.questions[: len(asked)]) == asked), None)
        if not rows or chain is None:
            continue
        done = report(chain, rows, limit)
        result.append(
            {
                "session": session["id"],
                "started_at": session["started_at"],
                "chain": chain.id,
                "score": done.score,
                "out_of": done.out_of,
                "percent": done.percent,
                "steps_answered": len(asked),
            }
        )
    return result
