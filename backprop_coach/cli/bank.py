"""`backprop-coach bank`: list, show, validate and add questions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from backprop_coach.cli.options import BankOption
from backprop_coach.cli.output import console, emit_json, fail, finite_seconds, show
from backprop_coach.untrusted import excerpt, path_text

bank_app = typer.Typer(
    help="The question bank: list, show, validate, and write a new question.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(bank_app, name="bank")


def load(extra: list[Path] | None, quiet: bool = False) -> Any:
    """The bank from the shipped questions, the learner's own, BACKPROP_COACH_BANK and --bank.
    Skipped files are reported on stderr; the rest still loads. A --bank directory that cannot
    be read at all (not a directory, a symlink loop, a path too long) is an error (exit 2)."""
    from backprop_coach.bank.load import load_bank
    from backprop_coach.cli.output import error_console
    from backprop_coach.render.question import render_problems

    bank = load_bank(extra or [])
    for problem in bank.problems:
        if problem.path in (extra or []):
            fail(f"--bank {problem}")
    if bank.problems and not quiet:
        error_console().print(render_problems(bank.problems))
    return bank


@bank_app.command("list")
def list_questions(
    topic: Annotated[list[str] | None, typer.Option(help="Only this topic (repeatable).")] = None,
    kind: Annotated[str | None, typer.Option(help="derivation, numeric or concept.")] = None,
    bank: BankOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    coverage: Annotated[
        bool,
        typer.Option(
            "--coverage", help="Counts by topic, kind and layout (derivations), to show the gaps."
        ),
    ] = False,
) -> None:
    """List the questions, with their topic, kind and difficulty.

    Example: `backprop-coach bank list --topic losses`; `backprop-coach bank list --coverage`
    counts the questions by topic, kind and layout."""
    loaded = load(bank)
    questions = loaded.select(topic or [], kind)
    if coverage:
        _show_coverage(questions, json_output)
        if not questions and (topic or kind) and not json_output:
            fail(f"no questions match; topics: {', '.join(loaded.topics)}", 1)
        return
    if json_output:
        emit_json(
            [
                {k: q.to_json()[k] for k in ("id", "topic", "kind", "difficulty", "tags")}
                for q in questions
            ]
        )
        return
    if not questions and (topic or kind):  # no empty table above the message
        fail(f"no questions match; topics: {', '.join(loaded.topics)}", 1)
    from backprop_coach.render.question import render_list

    show(render_list(questions))


def _show_coverage(questions: list[Any], json_output: bool) -> None:
    from backprop_coach.bank.coverage import coverage

    counts = coverage(questions)
    if json_output:
        emit_json(counts.to_json())
        return
    from backprop_coach.render.bank import render_coverage

    show(render_coverage(counts))


@bank_app.command("export")
def export(
    anki: Annotated[
        Path | None,
        typer.Option("--anki", metavar="FILE.apkg", help="Write an Anki deck to FILE.apkg."),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", metavar="FORMAT", help="anki or json."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", metavar="FILE", help="Write to FILE (json: default stdout)."
        ),
    ] = None,
    topic: Annotated[list[str] | None, typer.Option(help="Only this topic (repeatable).")] = None,
    kind: Annotated[str | None, typer.Option(help="derivation, numeric or concept.")] = None,
    bank: BankOption = None,
) -> None:
    """Export questions for other tools: an Anki deck, one note a question (re-importing a new
    export updates the notes), or JSON with every field.

    Example: `backprop-coach bank export --anki backprop.apkg`;
    `backprop-coach bank export --format json --topic losses` prints JSON."""
    from backprop_coach.bank.model import KINDS

    chosen = _export_format(anki, fmt, output)
    target = anki or output
    if kind is not None and kind not in KINDS:
        fail(f"unknown kind {excerpt(kind)!r}; known: {', '.join(KINDS)}")
    loaded = load(bank)
    questions = loaded.select(topic or [], kind)
    if not questions:
        fail(f"no questions match; topics: {', '.join(loaded.topics)}")
    from backprop_coach.bank.export import anki_package, json_text, questions_json

    if chosen == "json" and target is None:
        emit_json(questions_json(questions))
        return
    assert target is not None
    from backprop_coach.atomic import write_atomic

    try:
        write_atomic(target, anki_package(questions) if chosen == "anki" else json_text(questions))
    except OSError as err:
        fail(f"cannot write {path_text(target)}: {(err.strerror or str(err)).lower()}")
    show(f"wrote {len(questions)} question(s) to {path_text(target)}")


def _export_format(anki: Path | None, fmt: str | None, output: Path | None) -> str:
    """anki or json, from --anki, --format and -o; a clear error (exit 2) when they disagree."""
    if fmt is not None and fmt not in ("anki", "json"):
        fail(f"unknown --format {excerpt(fmt)!r}; known: anki, json")
    if anki is not None:
        if fmt == "json":
            fail("--anki writes an Anki deck: leave out --format json, or --anki")
        if output is not None:
            fail("--anki FILE already names the file: leave out -o")
        _apkg(anki)
        return "anki"
    if fmt is None:
        fail("say what to export: --anki FILE.apkg, or --format json [-o FILE]")
    if fmt == "anki":
        if output is None:
            fail("an Anki deck goes to a file: --anki FILE.apkg (or --format anki -o FILE.apkg)")
        _apkg(output)
    return fmt


def _apkg(path: Path) -> Path:
    if path.suffix.lower() != ".apkg":
        fail(f"{path_text(path)}: Anki imports only .apkg files; name it FILE.apkg")
    return path


@bank_app.command("show")
def show_question(
    question_id: Annotated[str, typer.Argument(metavar="ID", help="The question's id.")],
    bank: BankOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print every field as JSON.")] = False,
) -> None:
    """Show one question: prompt, hints, common mistakes and the worked answer.

    Example: `backprop-coach bank show sigmoid-derivative`."""
    question = find(load(bank), question_id)
    if json_output:
        emit_json(question.to_json())
        return
    from backprop_coach.render.question import render_question

    show(render_question(question))


def find(loaded: Any, question_id: str) -> Any:
    question = loaded.get(question_id)
    if question is None:
        import difflib

        close = difflib.get_close_matches(question_id, [q.id for q in loaded.questions], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see backprop-coach bank list"
        skipped = [p for p in loaded.problems if p.path.stem == question_id]
        if skipped:  # its file is there but was refused: say why
            hint = f"; its file was skipped: {skipped[0]}"
        fail(f"no question {excerpt(question_id)!r}{hint}")
    return question


@bank_app.command("validate")
def validate(
    ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="[ID]...", help="Only these questions (default: all)."),
    ] = None,
    bank: BankOption = None,
    timeout: Annotated[
        float, typer.Option(min=1, max=3600, help="Seconds allowed per question.")
    ] = 60.0,
    jobs: Annotated[
        int | None,
        typer.Option(min=1, max=64, metavar="N", help="Workers at once (default: one a core)."),
    ] = None,
) -> None:
    """Prove every question with the tool itself: reference answers correct, listed mistakes
    diagnosed as stated, explanation steps equal to the answer, no answer that is the question's
    own notation (forbid), numeric templates hand-sized; and every interview chain names
    questions that exist. Exits 1 with a per-question report on any failure.

    Example: `backprop-coach bank validate sigmoid-derivative` proves one question."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from backprop_coach.bank.validate import validate_question
    from backprop_coach.grading.sandbox import Pool, default_jobs

    finite_seconds("--timeout", timeout)

    loaded = load(bank, quiet=True)
    from backprop_coach.bank.chains import chain_files, load_chains
    from backprop_coach.bank.load import bank_dirs

    # the interview chains too: every file and field, every question id they name
    _, chain_problems = load_chains(
        chain_files(bank_dirs(bank or [])), [q.id for q in loaded.questions]
    )
    if ids:
        unknown = sorted(set(ids) - {q.id for q in loaded.questions})
        if unknown:
            fail(f"no question {', '.join(unknown)} (see backprop-coach bank list)")
        loaded.questions = [q for q in loaded.questions if q.id in ids]
    report: dict[str, list[str]] = {str(p.path): [p.message if p.field is None else f"{p.field}: {p.message}"]
                                    for p in [*loaded.problems, *chain_problems]}  # fmt: skip
    progress = Progress(
        TextColumn("validating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=console(), transient=True,
    )  # fmt: skip
    questions = loaded.questions
    try:
        with Pool(jobs or default_jobs()) as pool, progress:
            task = progress.add_task("", total=len(questions))
            tasks = ((validate_question, (q,)) for q in questions)
            for question, (status, value) in zip(questions, pool.map(tasks, timeout), strict=True):
                progress.update(task, description=question.id)
                failures = value if status == "ok" else [_failure(status, value, timeout)]
                if failures:
                    report[f"{question.id} ({question.path})"] = failures
                progress.advance(task)
    except KeyboardInterrupt:
        fail("interrupted: validation incomplete", 130)
    from backprop_coach.render.bank import render_validation

    show(render_validation(len(loaded.questions) + len(loaded.problems), report))
    if report:
        raise typer.Exit(1)


def _failure(status: str, message: str, timeout: float) -> str:
    if status == "timeout":
        return f"time limit hit: gave up after {timeout:g} s (--timeout raises the limit)"
    return f"could not validate: {message}"


@bank_app.command("new")
def new(
    question_id: Annotated[
        str, typer.Argument(metavar="ID", help="kebab-case id; also the file name.")
    ],
    topic: Annotated[str, typer.Option(help="Topic folder, kebab-case (e.g. single-neuron).")],
    kind: Annotated[str, typer.Option(help="derivation, numeric or concept.")] = "derivation",
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir", metavar="DIR", help="Bank folder to write into (default: your own bank)."
        ),
    ] = None,
) -> None:
    """Write a commented question template that validates as written; edit it, then prove it
    with `bank validate` and its id (`bank validate` alone proves the whole bank)."""
    from backprop_coach.bank.load import ID_PATTERN, load_bank
    from backprop_coach.bank.model import KINDS
    from backprop_coach.bank.template import template
    from backprop_coach.paths import user_bank

    if not ID_PATTERN.fullmatch(question_id):
        fail(f"id {question_id!r} is not kebab-case (lowercase letters, digits and -)")
    if not ID_PATTERN.fullmatch(topic):
        fail(f"topic {topic!r} is not kebab-case")
    if kind not in KINDS:
        fail(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
    if load_bank().get(question_id) is not None:
        fail(f"id {question_id!r} is already taken")
    path = (directory or user_bank()) / topic / f"{question_id}.toml"
    if path.exists():
        fail(f"{path} already exists")
    from backprop_coach.atomic import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, template(question_id, topic, kind))
    except OSError as err:
        fail(f"cannot write {path}: {(err.strerror or str(err)).lower()}")
    show(
        f"wrote {path}\nedit it, then: backprop-coach bank validate"
        + (f" --bank {directory}" if directory else "")
    )
