"""`backprop-coach interview`: a mock interview, one chain of linked questions on one clock.

Wiring only: practice.interview's session (the quiz's Session plus the clock) decides, the
quiz's renderer and store show and keep every answer, practice.interview scores the report,
render.interview draws it and writes it as Markdown.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer

from backprop_coach.cli.options import BankOption
from backprop_coach.cli.output import error_console, fail, show

EPILOG = """\
Each step builds on the one before, as an interviewer's follow-ups do. Answer as in `quiz`
(`:hint` costs 2 points, `:show`, `:skip`, `:quit`, `:help`); a step right at the first attempt
without hints is worth 10 points, each wrong attempt costs 3. One clock for the whole interview
(15 minutes unless `--minutes`) runs in the toolbar; when it runs out, the step in progress is
the last. Every answer is saved as you go (a session of mode "interview", shown by `stats`);
the review schedule is not touched.

**Examples**: `backprop-coach interview --list`; `backprop-coach interview --chain single-neuron
--report interview.md`; scripted:
`printf '%s\\n' 'sigmoid(z)*(1 - sigmoid(z))' | backprop-coach interview --chain single-neuron`
"""


def register(app: typer.Typer) -> None:
    app.command("interview", epilog=EPILOG)(interview)


def interview(
    chain: Annotated[
        str | None,
        typer.Option(metavar="ID", help="The chain to run (see --list); default: one at random."),
    ] = None,
    list_chains: Annotated[bool, typer.Option("--list", help="List the chains and exit.")] = False,
    minutes: Annotated[
        float, typer.Option(min=1, max=120, help="Minutes for the whole interview.")
    ] = 15.0,
    report_path: Annotated[
        Path | None,
        typer.Option("--report", metavar="FILE.md", help="Also write the report as Markdown."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Reproducible choice of chain and numeric variants.")
    ] = None,
    bank: BankOption = None,
) -> None:
    """A mock interview: a chain of linked questions with follow-ups, graded like the quiz, on
    one clock, ending with a scored report (per step: time, attempts, hints, diagnosis)."""
    import random

    from backprop_coach.bank.chains import chain_files, load_chains
    from backprop_coach.bank.load import bank_dirs
    from backprop_coach.cli.bank import load
    from backprop_coach.practice.interview import items_for
    from backprop_coach.render.interview import render_chains, render_problems

    loaded = load(bank)
    questions = {q.id: q for q in loaded.questions}
    chains, problems = load_chains(chain_files(bank_dirs(bank or [])), list(questions))
    if problems:
        error_console().print(render_problems(problems, "interview chain"))
    if not chains:
        fail("no interview chains could be loaded (see questions/README.md, Interview chains)")
    if list_chains:
        show(render_chains(chains))
        return
    if report_path is not None:
        _check_report_path(report_path)
    rng = random.Random(seed)
    if chain is None:
        chosen = rng.choice(chains)
    else:
        found = [c for c in chains if c.id == chain]
        if not found:
            import difflib

            near = difflib.get_close_matches(chain, [c.id for c in chains], n=1)
            hint = f"did you mean {near[0]}? " if near else ""
            fail(f"--chain {chain[:60]}: no such chain; {hint}see backprop-coach interview --list")
        chosen = found[0]
    items = items_for(chosen, questions, lambda: rng.randrange(1, 10**6))
    _run(chosen, items, minutes * 60, report_path)


def _check_report_path(path: Path) -> None:
    """Refuse, before the interview starts, a --report that could not be written at the end."""
    if path.is_dir():
        fail(f"--report {str(path)[:120]}: is a directory; name a file such as interview.md")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        fail(f"--report {str(path)[:120]}: the folder {str(parent)[:120]} does not exist")


def _run(chain: Any, items: list[Any], limit: float, report_path: Path | None) -> None:
    import time

    from backprop_coach.cli.quiz import Stops, _grader, _reader, _render, drive, open_store
    from backprop_coach.practice import session as s
    from backprop_coach.practice.interview import MODE, InterviewSession, report
    from backprop_coach.practice.store import StoreError
    from backprop_coach.render.interview import render_start

    store = open_store()
    try:
        session_id = store.start_session(MODE)
    except StoreError as err:
        store.close()
        fail(str(err))
    grade, box = _grader()
    session = InterviewSession(items, grade, time.monotonic, None, total=limit)
    reader = _reader(session, _clock_bar(session))
    attempts: list[dict[str, Any]] = []
    unsaved: str | None = None
    stops = Stops()

    def play(events: list[Any]) -> bool:
        """Show and save (schedule untouched) the events; True when the interview is over."""
        done = any(isinstance(e, s.Done) for e in events)
        _render([e for e in events if not isinstance(e, s.Done)], store, session_id, None, True)
        attempts.extend(dataclasses.asdict(e.attempt) for e in events if isinstance(e, s.Record))
        return done

    show(render_start(chain, limit))
    try:
        drive(session, play, reader, stops, "the step in progress is not")
    except StoreError as err:
        unsaved = str(err)
    finally:
        stops.restore()
        box.close()
        try:
            store.end_session(session_id)
        except StoreError as err:
            store.notes.append(str(err))
        store.close()
    if unsaved is not None:
        fail(f"{unsaved}; the interview is closed, and every answer before that is saved")
    seconds = limit - session.left()
    _finish(report(chain, attempts, limit, seconds), report_path)


def _clock_bar(session: Any) -> Any:
    """The toolbar: the interview's clock (practice.interview.clock_text), coloured as the
    quiz's countdown is."""
    from backprop_coach.practice.interview import clock_text

    def bar() -> Any:
        left = session.left()
        style = (
            "bg:ansired fg:ansiwhite"
            if left <= session.total / 4
            else "bg:ansiyellow fg:ansiblack"
            if left <= session.total / 2
            else "bg:ansigreen fg:ansiblack"
        )
        return [(f"{style} bold", f" {clock_text(left)} ")]

    return bar


def _finish(result: Any, report_path: Path | None) -> None:
    from backprop_coach.atomic import write_atomic
    from backprop_coach.render.interview import render_report, report_markdown
    from backprop_coach.untrusted import os_reason

    show(render_report(result))
    if report_path is None:
        return
    try:
        write_atomic(report_path, report_markdown(result))
    except OSError as err:
        fail(
            f"--report {str(report_path)[:120]}: not written ({os_reason(err)}); "
            "every answer is saved in your progress"
        )
    show(f"report written to {report_path}")
