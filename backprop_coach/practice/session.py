"""A quiz session as a state machine with no I/O: lines in, events out.

The command feeds the learner's lines to `handle` and renders, persists and schedules from the
events it gets back, so the whole flow (attempts, hints, reveals, skips, timing, ratings) is
testable without a terminal. Time comes from an injected clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from backprop_coach.bank.grade import Worked, names_for, worked_for
from backprop_coach.bank.model import Question
from backprop_coach.grading.verdict import CORRECT, INVALID, Verdict
from backprop_coach.practice.schedule import RATINGS
from backprop_coach.practice.stats import right
from backprop_coach.practice.store import Attempt

MAX_ATTEMPTS = 3
DEFAULT_PACE = 60.0  # seconds: the reference time when the quiz is not timed
EASY_FRACTION = 1 / 3  # right first try within a third of the time is Easy
COMMANDS = {":hint": "the next hint", ":show": "the worked answer (counts as not known)",
            ":skip": "move on without answering", ":quit": "end the session (progress is saved)",
            ":graph": "the computational graph, your last wrong answer marked (counts as a hint)",
            ":help": "this list"}  # fmt: skip
RATING_KEYS = {
    "1": "again",
    "2": "hard",
    "3": "good",
    "4": "easy",
    "a": "again",
    "h": "hard",
    "g": "good",
    "e": "easy",
}

Grader = Callable[["Item", str, "str | None"], Verdict]


@dataclass(frozen=True)
class Item:
    question: Question
    seed: int  # the variant of a numeric question


@dataclass
class Outcome:
    item: Item
    result: str  # correct, missed, revealed, skipped, rated, unfinished
    attempts: int
    hints: int
    seconds: float
    rating: str | None
    overtime: bool = False

    @property
    def right(self) -> bool:
        """Answered correctly, or a concept recalled (rated better than again)."""
        return right(self.result, self.rating)

    @property
    def missed(self) -> bool:
        """Not known: missed, revealed, or a concept rated again (a skip is neither)."""
        return self.result in ("missed", "revealed") or (
            self.result == "rated" and self.rating == "again"
        )


# -- events ---------------------------------------------------------------------------------------


@dataclass
class Ask:
    item: Item
    number: int
    total: int
    score: int
    answered: int
    limit: float | None
    names: list[tuple[str, str, str]] = field(default_factory=list)  # a derivation's names
    worked: Worked | None = None  # a numeric question's variant: its network is shown


@dataclass
class Graded:
    verdict: Verdict
    attempt: int
    attempts_left: int
    overtime: bool


@dataclass
class Repeat:
    verdict: Verdict


@dataclass
class Invalid:
    message: str


@dataclass
class HintShown:
    text: str
    number: int
    total: int


@dataclass
class Reveal:
    item: Item
    reason: str  # "asked", "attempts", "concept"
    worked: Worked | None = None  # a numeric question's every number


@dataclass
class RateRequest:
    item: Item


@dataclass
class Note:
    text: str


@dataclass
class Help:
    commands: dict[str, str]


@dataclass
class GraphRequest:
    """`:graph`: draw the question's graph; `answer` and `verdict` are the last graded attempt
    (None before the first)."""

    item: Item
    answer: str | None
    verdict: Verdict | None


@dataclass
class Record:
    """Persist this attempt; `rating` settles the question's card (None: schedule untouched)."""

    attempt: Attempt
    rating: str | None


@dataclass
class Done:
    outcomes: list[Outcome]


Event = (
    Ask | Graded | Repeat | Invalid | HintShown | Reveal | RateRequest | Note | Help | Record
    | Done | GraphRequest
)  # fmt: skip


@dataclass
class _Current:
    item: Item
    started: float
    worked: Worked | None = None
    attempts: int = 0
    hints: int = 0
    previous: str | None = None
    last: Verdict | None = None  # the verdict on `previous`
    graphed: bool = False  # :graph was asked: it shows every local derivative, so counts as a hint
    rating_pending: bool = False
    concept_answer: str = ""


@dataclass
class Session:
    items: Sequence[Item]
    grader: Grader
    clock: Callable[[], float]
    limit: float | None = None  # seconds per question in timed mode
    outcomes: list[Outcome] = field(default_factory=list)
    _index: int = -1
    _current: _Current | None = None

    @property
    def finished(self) -> bool:
        return self._index >= len(self.items)

    @property
    def current(self) -> Item | None:
        return self._current.item if self._current else None

    @property
    def awaiting_rating(self) -> bool:
        """A concept question's model answer is shown and the learner's rating is due."""
        return bool(self._current and self._current.rating_pending)

    def elapsed(self) -> float:
        return self.clock() - self._current.started if self._current else 0.0

    def start(self) -> list[Event]:
        return self._next()

    def _next(self) -> list[Event]:
        self._index += 1
        self._current = None
        if self.finished:
            return [Done(self.outcomes)]
        item = self.items[self._index]
        worked = worked_for(item.question, item.seed)  # the engine, once a question
        self._current = _Current(item, self.clock(), worked)
        score = sum(o.right for o in self.outcomes)
        number, total = self._index + 1, len(self.items)
        names = names_for(item.question)
        return [Ask(item, number, total, score, len(self.outcomes), self.limit, names, worked)]

    def handle(self, line: str) -> list[Event]:
        """One line from the learner."""
        if self._current is None:
            return [Done(self.outcomes)]
        text = line.strip()
        cur = self._current
        if cur.rating_pending:
            return self._rate(text)
        if text.startswith(":"):
            return self._command(text.lower())
        if not text:
            return [Invalid("type an answer, or :help for the commands")]
        if cur.item.question.kind == "concept":
            cur.concept_answer = text
            cur.rating_pending = True
            return [Reveal(cur.item, "concept"), RateRequest(cur.item)]
        return self._grade(text)

    def finish(self) -> list[Event]:
        """End now (:quit, end of input, Ctrl-C): the question in progress is not recorded."""
        self._index = len(self.items)
        self._current = None
        return [Done(self.outcomes)]

    # -- the steps --------------------------------------------------------------------------------
    def _grade(self, text: str) -> list[Event]:
        cur = self._current
        assert cur is not None
        verdict = self.grader(cur.item, text, cur.previous)
        if verdict.verdict == INVALID:
            return [Invalid(f"{verdict.message} (no attempt used)")]
        if verdict.verdict != CORRECT and verdict.same_as_previous:
            return [Repeat(verdict)]
        cur.attempts += 1
        cur.previous, cur.last = text, verdict
        seconds = self.elapsed()
        overtime = self.limit is not None and seconds > self.limit
        correct = verdict.verdict == CORRECT
        final = correct or cur.attempts >= MAX_ATTEMPTS
        events: list[Event] = [Graded(verdict, cur.attempts, MAX_ATTEMPTS - cur.attempts, overtime)]
        detail = verdict.factor
        rating = None
        if final:
            hints = cur.hints + cur.graphed
            rating = self._rating(correct, cur.attempts, hints, seconds, overtime)
        events.append(
            Record(self._attempt(verdict.verdict, text, verdict.diagnosis, detail, seconds), rating)
        )
        if not final:
            return events
        self.outcomes.append(
            Outcome(
                cur.item,
                "correct" if correct else "missed",
                cur.attempts,
                cur.hints,
                seconds,
                rating,
                overtime,
            )
        )
        if not correct:
            events.append(Reveal(cur.item, "attempts", cur.worked))
        return events + self._next()

    def _rating(
        self, correct: bool, attempts: int, hints: int, seconds: float, overtime: bool
    ) -> str:
        """wrong or revealed → again; right after hints, retries or overtime → hard;
        right first try → good; right first try well inside the time → easy."""
        if not correct:
            return "again"
        if attempts > 1 or hints > 0 or overtime:
            return "hard"
        if seconds <= EASY_FRACTION * (self.limit or DEFAULT_PACE):
            return "easy"
        return "good"

    def _rate(self, text: str) -> list[Event]:
        cur = self._current
        assert cur is not None
        key = text.lower()
        rating = key if key in RATINGS else RATING_KEYS.get(key)
        if rating is None:
            return [Invalid("rate your recall: again, hard, good or easy (or 1-4)")]
        seconds = self.elapsed()
        attempt = self._attempt("rated", cur.concept_answer, None, rating, seconds)
        self.outcomes.append(Outcome(cur.item, "rated", 1, cur.hints, seconds, rating))
        return [Record(attempt, rating), *self._next()]

    def _command(self, command: str) -> list[Event]:
        cur = self._current
        assert cur is not None
        hints = cur.item.question.hints
        if command == ":hint":
            if cur.hints >= len(hints):
                return [
                    Note(f"no more hints (all {len(hints)} shown); :show gives the worked answer")
                ]
            cur.hints += 1
            return [HintShown(hints[cur.hints - 1], cur.hints, len(hints))]
        if command == ":show":
            seconds = self.elapsed()
            self.outcomes.append(
                Outcome(cur.item, "revealed", cur.attempts, cur.hints, seconds, "again")
            )
            record = Record(self._attempt("revealed", "", None, None, seconds), "again")
            return [Reveal(cur.item, "asked", cur.worked), record, *self._next()]
        if command == ":skip":
            seconds = self.elapsed()
            self.outcomes.append(
                Outcome(cur.item, "skipped", cur.attempts, cur.hints, seconds, None)
            )
            return [
                Note("skipped"),
                Record(self._attempt("skipped", "", None, None, seconds), None),
                *self._next(),
            ]
        if command == ":quit":
            return self.finish()
        if command == ":help":
            return [Help(COMMANDS)]
        if command == ":graph":
            cur.graphed = True
            return [GraphRequest(cur.item, cur.previous, cur.last)]
        return [Invalid(f"unknown command {command}; the commands are {', '.join(COMMANDS)}")]

    def _attempt(
        self, verdict: str, answer: str, diagnosis: str | None, detail: str | None, seconds: float
    ) -> Attempt:
        cur = self._current
        assert cur is not None
        q = cur.item.question
        number = cur.attempts if verdict in ("correct", "incorrect") else cur.attempts + 1
        seed = cur.item.seed if q.kind == "numeric" else None
        return Attempt(
            q.id,
            q.topic,
            q.kind,
            number,
            answer,
            verdict,
            diagnosis,
            detail,
            cur.hints,
            seconds,
            seed,
        )
