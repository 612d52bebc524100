"""The quiz session state machine, with a fake clock and a real grader."""

from __future__ import annotations

import pytest

from backprop_coach.bank.grade import grade_derivation, grade_numeric
from backprop_coach.bank.load import load_bank, shipped_bank
from backprop_coach.practice import session as s
from backprop_coach.practice.session import Item, Session

BANK = load_bank(dirs=[shipped_bank()])
DW = BANK.get("sigmoid-neuron-dw")
CONCEPT = BANK.get("vanishing-gradients")
NUMERIC = BANK.get("numeric-222-loss")
RIGHT = "(a - y)*a*(1 - a)*x"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def grader(item: Item, text: str, previous: str | None):  # type: ignore[no-untyped-def]
    if item.question.kind == "numeric":
        return grade_numeric(item.question, text, item.seed)
    return grade_derivation(item.question, text, previous)


def make(*questions, limit: float | None = None) -> tuple[Session, Clock]:  # type: ignore[no-untyped-def]
    clock = Clock()
    return Session([Item(q, 7) for q in questions], grader, clock, limit), clock


def of(events: list, kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, kind)]


def test_right_first_try_is_good_or_easy_by_time() -> None:
    session, clock = make(DW, DW)
    session.start()
    clock.t += 5  # well inside a third of the 60 s pace
    first = session.handle(RIGHT)
    assert of(first, s.Record)[0].rating == "easy"
    assert of(first, s.Ask)[0].number == 2
    clock.t += 40
    second = session.handle(RIGHT)
    assert of(second, s.Record)[0].rating == "good"
    assert of(second, s.Done)


def test_wrong_then_right_is_hard_and_both_attempts_recorded() -> None:
    session, _ = make(DW)
    session.start()
    wrong = session.handle("(a - y)*x")
    graded = of(wrong, s.Graded)[0]
    assert graded.verdict.diagnosis == "missing_factor"
    assert graded.verdict.feedback.startswith("You dropped σ'(z)")
    assert of(wrong, s.Record)[0].rating is None  # not settled yet
    right = session.handle(RIGHT)
    record = of(right, s.Record)[0]
    assert record.rating == "hard" and record.attempt.attempt == 2
    assert session.outcomes[0].result == "correct" and session.outcomes[0].attempts == 2


def test_invalid_input_costs_nothing() -> None:
    session, _ = make(DW)
    session.start()
    for text in ["(a - y", "", "(a - y)*q"]:
        events = session.handle(text)
        assert of(events, s.Invalid) and not of(events, s.Record)
    assert of(session.handle(RIGHT), s.Record)[0].attempt.attempt == 1


def test_repeating_the_previous_answer_is_pointed_out() -> None:
    session, _ = make(DW)
    session.start()
    session.handle("(a - y)*x")
    events = session.handle("x*(a - y)")  # equivalent to the previous attempt
    assert of(events, s.Repeat) and not of(events, s.Record)


def test_three_misses_reveal_the_answer_and_rate_again() -> None:
    session, _ = make(DW)
    session.start()
    session.handle("(a - y)*x")
    session.handle("x")
    events = session.handle("y")
    assert of(events, s.Reveal)[0].reason == "attempts"
    assert of(events, s.Record)[0].rating == "again"
    assert session.outcomes[0].result == "missed"


def test_hints_show_and_skip() -> None:
    session, _ = make(DW, DW)
    session.start()
    hints = [of(session.handle(":hint"), s.HintShown)[0].text for _ in DW.hints]
    assert hints == list(DW.hints)
    assert of(session.handle(":hint"), s.Note)  # no more
    shown = session.handle(":show")
    assert of(shown, s.Reveal)[0].reason == "asked"
    assert of(shown, s.Record)[0].rating == "again"
    assert of(shown, s.Record)[0].attempt.hints == len(DW.hints)
    skipped = session.handle(":skip")
    assert of(skipped, s.Record)[0].rating is None and of(skipped, s.Done)
    assert [o.result for o in session.outcomes] == ["revealed", "skipped"]


def test_quit_and_help_and_unknown_command() -> None:
    session, _ = make(DW, DW)
    session.start()
    assert of(session.handle(":help"), s.Help)
    assert of(session.handle(":frobnicate"), s.Invalid)
    assert of(session.handle(":quit"), s.Done)
    assert session.outcomes == []


def test_concept_question_asks_for_a_rating() -> None:
    session, _ = make(CONCEPT)
    session.start()
    events = session.handle("products of small derivatives shrink")
    assert of(events, s.Reveal)[0].reason == "concept" and of(events, s.RateRequest)
    assert session.awaiting_rating
    assert of(session.handle("meh"), s.Invalid)
    done = session.handle("3")
    record = of(done, s.Record)[0]
    assert (
        record.rating == "good" and record.attempt.answer == "products of small derivatives shrink"
    )


def test_numeric_question_graded_against_the_engine() -> None:
    from backprop_coach.bank.grade import numeric_truth

    _, truth, _ = numeric_truth(NUMERIC.numeric, 7)
    session, _ = make(NUMERIC)
    session.start()
    assert of(session.handle("banana"), s.Invalid)
    # the question wants 3 significant figures: fewer is refused and uses no attempt
    assert of(session.handle(f"{truth:.2g}"), s.Invalid)
    wrong = session.handle(f"{truth * 1.5:.4g}")
    graded = of(wrong, s.Graded)[0]
    assert graded.verdict.verdict == "incorrect" and graded.attempt == 1
    assert f"{truth:.3g}" not in graded.verdict.message  # attempts remain: no reveal
    right = session.handle(f"{truth:.4g}")
    assert of(right, s.Record)[0].attempt.seed == 7
    assert session.outcomes[0].result == "correct"


def test_timed_overtime_is_recorded_not_a_crash() -> None:
    session, clock = make(DW, limit=10)
    session.start()
    clock.t += 25
    events = session.handle(RIGHT)
    assert of(events, s.Graded)[0].overtime
    assert of(events, s.Record)[0].rating == "hard"
    assert session.outcomes[0].overtime


@pytest.mark.parametrize("text", ["again", "1", "a", "Hard", "e"])
def test_rating_words_and_numbers(text: str) -> None:
    session, _ = make(CONCEPT)
    session.start()
    session.handle("an answer")
    assert of(session.handle(text), s.Record)
