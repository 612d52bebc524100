"""`backprop-coach quiz`: practise, one question at a time, like a good interviewer.

Wiring only: the session (practice.session) decides, the store persists each answer in its own
transaction, FSRS schedules, the renderers draw. Input comes from prompt_toolkit in a terminal
(line editing, history, a ticking countdown in timed mode) or line by line from a pipe.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from backprop_coach.cli.graph import quiz_graph
from backprop_coach.cli.options import BankOption
from backprop_coach.cli.output import console, fail, show

DEFAULT_COUNT = 10

EPILOG = """\
**In a session** type an answer in the expression language (e.g. `(a - y)*σ'(z)*x`), a number for
numeric questions, or free text for concept questions; `:hint`, `:show`, `:skip`, `:graph`
(the computational graph, your last wrong answer marked on it), `:quit`, `:help`.
Three attempts per question; an invalid input costs none. Every answer is saved as you go, and
the questions you miss come back first next time (FSRS spaced repetition).

**Scripting**: `printf '%s\\n' '(a - y)*a*(1 - a)*x' | backprop-coach quiz --question sigmoid-neuron-dw`
"""


def register(app: typer.Typer) -> None:
    app.command("quiz", epilog=EPILOG)(quiz)


def quiz(
    topic: Annotated[
        list[str] | None, typer.Option(help="Only this topic (repeatable); see bank list.")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="derivation, numeric or concept.")] = None,
    difficulty: Annotated[
        int | None, typer.Option(min=1, max=3, help="Only this difficulty (1-3).")
    ] = None,
    count: Annotated[
        int, typer.Option("-n", "--count", min=1, max=200, help="How many questions.")
    ] = DEFAULT_COUNT,
    question: Annotated[
        str | None, typer.Option(metavar="ID", help="Practise one question.")
    ] = None,
    due: Annotated[
        bool, typer.Option(help="Only due questions, then new ones (daily new limit).")
    ] = False,
    cram: Annotated[
        bool, typer.Option(help="Practise ahead; the schedule is not touched.")
    ] = False,
    timed: Annotated[
        bool,
        typer.Option(
            "--timed",
            help="Interview pace: a countdown per question, 60 s or as given (--timed 90).",
        ),
    ] = False,
    time_limit: Annotated[
        float, typer.Option(min=5, max=3600, help="Seconds per question with --timed.")
    ] = 60.0,
    seed: Annotated[
        int | None, typer.Option(help="Reproducible choice of questions and numeric variants.")
    ] = None,
    bank: BankOption = None,
    graph_drill: Annotated[
        bool,
        typer.Option(
            "--graph-drill",
            help="Drill the chain rule on small graphs: find one node's gradient from the ones "
            "above it (schedules untouched).",
        ),
    ] = False,
) -> None:
    """Practise backpropagation: derivations, numeric backprop and interview concepts, with
    precise feedback on every attempt and the worked answer on request."""
    import random

    from backprop_coach.cli.bank import find, load
    from backprop_coach.practice.schedule import choose
    from backprop_coach.practice.session import Item
    from backprop_coach.practice.store import StoreError, now

    if due and cram:
        fail("--due and --cram do not mix: --due follows the schedule, --cram ignores it")
    rng = random.Random(seed)
    if graph_drill:
        from backprop_coach.practice.graph_drill import drill_questions

        drills = drill_questions()
        items = [Item(drills[k % len(drills)], rng.randrange(1, 10**6)) for k in range(count)]
        _run(items, open_store(), timed, time_limit, True)
        return
    store = open_store()
    loaded = load(bank)
    if question is not None:
        chosen = [find(loaded, question)]
    else:
        _known("--kind", [kind] if kind else [], KINDS)
        _known("--topic", topic or [], loaded.topics)
        pool = loaded.select(topic or [], kind, difficulty)
        if not pool:
            asked = " ".join(
                f"--{n} {v}" for n, v in (("kind", kind), ("difficulty", difficulty)) if v
            )
            fail(
                f"no questions match {' '.join(f'--topic {t}' for t in topic or [])} {asked}".replace(
                    "  ", " "
                ).strip()
                + "; widen the choice (see backprop-coach bank list)",
                1,
            )
        mode = "cram" if cram else "due" if due else "default"
        try:
            cards = store.cards()
        except StoreError as err:
            store.close()
            fail(str(err))
        tell_notes(store)
        chosen = choose(pool, cards, now(), count, mode, rng=rng)
        if not chosen:
            show(
                "nothing is due and today's new questions are done; come back later, or use --cram"
            )
            return
    items = [Item(q, rng.randrange(1, 10**6)) for q in chosen]
    _run(items, store, timed, time_limit, cram)


KINDS = ("derivation", "numeric", "concept")


def _known(option: str, given: list[str], known: list[str] | tuple[str, ...]) -> None:
    """Refuse a value that names nothing (exit 2), with the nearest known one."""
    import difflib

    for value in given:
        if value not in known:
            near = difflib.get_close_matches(value, known, n=1)
            hint = f"did you mean {near[0]}? " if near else ""
            fail(f"{option} {value}: no such {option[2:]}; {hint}known: {', '.join(known)}")


def open_store() -> Any:
    """The learner's progress store; a store that cannot be opened is a clear error (exit 2),
    a corrupt one moved aside is a note on stderr."""
    from backprop_coach.paths import home
    from backprop_coach.practice.store import StoreError
    from backprop_coach.practice.store import open_store as open_at

    try:
        store = open_at(home())
    except StoreError as err:
        fail(str(err))
    if store.notice:
        store.notes.insert(0, store.notice)
    tell_notes(store)
    return store


def tell_notes(store: Any) -> None:
    """The store's notes (a file moved aside, a row reset) on stderr, once each; the text
    holds paths, so it is never read as markup."""
    from rich.text import Text

    from backprop_coach.cli.output import error_console

    while store.notes:
        note = Text("note: ", style="yellow")
        note.append(store.notes.pop(0))
        error_console().print(note, soft_wrap=True)


def _grader(timeout: float = 5.0) -> tuple[Callable[..., Any], Any]:
    from backprop_coach.bank.grade import grade_derivation, grade_numeric
    from backprop_coach.grading.sandbox import Sandbox
    from backprop_coach.grading.service import run

    box = Sandbox()

    def grade(item: Any, text: str, previous: str | None) -> Any:
        q = item.question
        if "graph_drill" in q.extra:
            from backprop_coach.practice.graph_drill import grade_drill

            return grade_drill(q, text, item.seed)
        if q.kind == "numeric":
            return grade_numeric(q, text, item.seed)
        return run(box, grade_derivation, (q, text, previous), timeout)

    return grade, box


def drive(
    session: Any, play: Callable[[list[Any]], bool], reader: Callable[[], str], stops: Any,
    unsaved: str,
) -> None:
    """The loop of a quiz or an interview: show and save each batch of events (`play`, True
    when the session is over), then read a line. Ctrl-C or SIGTERM ends it like the end of
    input: what was graded is saved, and `unsaved` says what is not."""
    try:
        events = session.start()
        while True:
            with stops.held():  # a graded answer shown is a graded answer saved
                over = play(events)
            if over:
                return
            stops.check()
            try:
                line = reader()
            except EOFError:
                events = session.finish()
                continue
            events = session.handle(line)
    except KeyboardInterrupt as stop:
        console().print(
            f"\n{'terminated' if isinstance(stop, Terminated) else 'interrupted'}: every graded "
            f"attempt is saved; {unsaved}"
        )
        play(session.finish())


def _run(items: list[Any], store: Any, timed: bool, time_limit: float, cram: bool) -> None:
    import os
    import time

    from backprop_coach.practice.schedule import Scheduler
    from backprop_coach.practice.session import Session
    from backprop_coach.practice.store import StoreError

    try:
        session_id = store.start_session("cram" if cram else "timed" if timed else "practice")
    except StoreError as err:
        store.close()
        fail(str(err))
    grade, box = _grader()
    session = Session(items, grade, time.monotonic, time_limit if timed else None)
    scheduler = Scheduler(fuzz=os.environ.get("BACKPROP_COACH_FSRS_FUZZ", "1") != "0")
    reader = _reader(session)
    unsaved: str | None = None  # why the session stopped saving, when it did
    stops = Stops()
    try:
        drive(
            session,
            lambda events: _render(events, store, session_id, scheduler, cram),
            reader,
            stops,
            "the question in progress is not (a concept answer counts once you rate it)",
        )
    except StoreError as err:  # a full disk, a read-only file: stop; what is saved stays
        unsaved = str(err)
    finally:
        stops.restore()
        box.close()
        try:
            store.end_session(session_id)
        except StoreError as err:  # every answer is in; only the end time is missing
            store.notes.append(str(err))
        store.close()
        tell_notes(store)
    if unsaved is not None:
        fail(f"{unsaved}; the session is closed, and every answer before that is saved")


class Terminated(KeyboardInterrupt):
    """SIGTERM during a session: it ends the way Ctrl-C does (the session closed, every graded
    answer kept), not with the process killed mid-write."""


class Stops:
    """Ctrl-C and SIGTERM during a session (main thread only): SIGTERM raises Terminated,
    SIGINT KeyboardInterrupt, both taking the same path; while `held` (an answer being shown
    and saved) the signal waits, and `check` raises it afterwards. A second signal while the
    session closes is ignored. `restore` puts the previous handlers back."""

    SIGNALS = ("SIGINT", "SIGTERM")

    def __init__(self) -> None:
        import signal

        self._held = False
        self._pending: KeyboardInterrupt | None = None
        self._previous: dict[int, Any] = {}
        for name in self.SIGNALS:
            signum = getattr(signal, name)
            try:
                self._previous[signum] = signal.signal(signum, self._stop)
            except ValueError:  # not the main thread: signals stay as they were
                return

    def _stop(self, signum: int, frame: Any) -> None:
        import signal

        stop = Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
        if self._held:
            self._pending = self._pending or stop
            return
        self._ignore()
        raise stop

    def _ignore(self) -> None:
        import signal

        for signum in self._previous:
            signal.signal(signum, signal.SIG_IGN)

    @contextmanager
    def held(self) -> Iterator[None]:
        self._held = True
        try:
            yield
        finally:
            self._held = False

    def check(self) -> None:
        """Raise the signal that came while held, if one did."""
        if self._pending is not None:
            self._ignore()
            raise self._pending

    def restore(self) -> None:
        import signal

        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


def _render(events: list[Any], store: Any, session_id: int, scheduler: Any, cram: bool) -> bool:
    """Show and persist a batch of events; True when the session is over."""
    from backprop_coach.practice import session as s
    from backprop_coach.practice.store import now
    from backprop_coach.render import quiz as r

    for event in events:
        match event:
            case s.Ask():
                show(r.render_ask(event))
                if "graph_drill" in event.item.question.extra:
                    show(*quiz_graph(event.item, None, None))
            case s.Graded():
                show(r.render_graded(event))
            case s.Repeat():
                show(r.render_repeat(event))
            case s.Invalid():
                console().print(f"[yellow]![/] {_escape(event.message)}", soft_wrap=True)
            case s.HintShown():
                show(r.render_hint(event))
            case s.Reveal():
                show(r.render_reveal(event))
                _show_derivation(event.item.question)
                if "graph_drill" in event.item.question.extra:
                    show(*quiz_graph(event.item, None, None, reveal=True))
            case s.GraphRequest():
                show(*quiz_graph(event.item, event.answer, event.verdict))
            case s.RateRequest():
                show(r.render_rate_request())
            case s.Note():
                console().print(event.text, style="dim", markup=False)
            case s.Help():
                show(r.render_help(event))
            case s.Record():
                review = None
                if event.rating is not None and not cram:
                    at = now()
                    qid = event.attempt.question_id
                    card = store.card(qid)
                    try:
                        card_json, due = scheduler.review(card, event.rating, at)
                    except (KeyError, TypeError, ValueError) as err:  # a stored card FSRS refuses
                        store.reset_card(qid, f"FSRS cannot use it: {type(err).__name__}")
                        tell_notes(store)
                        card_json, due = scheduler.review(None, event.rating, at)
                    review = (event.rating, card_json, due)
                store.record(session_id, event.attempt, review)
            case s.Done():
                show(r.render_summary(event.outcomes))
                return True
    return False


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _reader(session: Any, clock_bar: Callable[[], Any] | None = None) -> Callable[[], str]:
    """prompt_toolkit in a terminal (history, editing, countdown), plain lines from a pipe;
    `clock_bar` replaces the per-question countdown in the toolbar (the interview's clock)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):

        def read_line() -> str:
            line = sys.stdin.readline()
            if not line:
                raise EOFError
            console().print(f"answer> {line.rstrip()}", markup=False, highlight=False)
            return line.rstrip("\n")

        return read_line

    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    from backprop_coach.paths import home

    path = home() / "history"
    try:  # only a regular file: a FIFO or a device there would block the history's reader
        history: Any = FileHistory(str(path)) if not path.exists() or path.is_file() else None
    except OSError:
        history = None
    prompt: Any = PromptSession(history=history)

    def toolbar() -> Any:
        if session.limit is None or session.current is None:
            return None
        left = session.limit - session.elapsed()
        if left <= 0:
            return [("bg:ansired fg:ansiwhite bold", f" overtime {-left:.0f} s ")]
        style = (
            "ansigreen"
            if left > session.limit / 2
            else "ansiyellow"
            if left > session.limit / 4
            else "ansired"
        )
        return [(f"bg:{style} fg:ansiblack bold", f" {left:.0f} s left ")]

    bar = clock_bar or (toolbar if session.limit else None)

    def read_prompt() -> str:
        label = "recall" if session.awaiting_rating else "answer"
        answer: str = prompt.prompt(
            f"{label}> ", bottom_toolbar=bar, refresh_interval=0.5 if bar else 0
        )
        return answer

    return read_prompt


def normalize_timed(args: list[str]) -> list[str]:
    """`--timed 90` and `--timed=90` mean `--timed --time-limit 90`; plain `--timed` is 60 s.
    Seconds outside 5 to 3600 are refused here, naming --timed (the option the user typed)."""
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        seconds = None
        if arg.startswith("--timed="):
            seconds = arg.split("=", 1)[1]
        elif arg == "--timed" and i + 1 < len(args) and _is_number(args[i + 1]):
            seconds = args[i + 1]
            i += 1
        if seconds is None:
            out.append(arg)
        elif not _is_number(seconds) or not 5 <= float(seconds) <= 3600:
            fail(f"--timed {seconds}: seconds per question, from 5 to 3600 (--timed 90)")
        else:
            out += ["--timed", "--time-limit", seconds]
        i += 1
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _show_derivation(question: Any) -> None:
    """`:show` on a derivation question: the proved derivation after its own explanation
    (nothing when the question is beyond the automatic derivation)."""
    if question.kind != "derivation" or question.problem is None:
        return
    from backprop_coach.cli.explain import derive_in_sandbox
    from backprop_coach.render.explain import render_derivation

    derived = derive_in_sandbox(question.problem)
    if not isinstance(derived, str) and derived.answer is not None:
        show(render_derivation(derived))
