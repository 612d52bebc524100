"""The typer app: wiring only. Each command lives in its own module and calls one core function;
heavy imports (sympy, numpy) happen inside command bodies so `--help` stays fast."""

from __future__ import annotations

from typing import Annotated

import typer

from backprop_coach import __version__
from backprop_coach.cli import (
    bank,
    cheatsheet,
    check,
    explain,
    graph,
    interview,
    quiz,
    stats,
    trace,
)

app = typer.Typer(
    name="backprop-coach",
    help=(
        "Learn and prove backpropagation: practise derivations, check your own gradients, "
        "see every number of a worked backward pass."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"backprop-coach {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Learn and prove backpropagation in the terminal."""


quiz.register(app)
check.register(app)
trace.register(app)
bank.register(app)
stats.register(app)
cheatsheet.register(app)
graph.register(app)
explain.register(app)
interview.register(app)


def _stdout_failed(err: OSError) -> bool:
    """Whether `err` is an output that refused a write: standard output on a full disk, a
    closed pipe, `> /dev/full` (every file the commands write themselves reports its own)."""
    import errno

    return err.errno in (errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EDQUOT, errno.EFBIG)


def main() -> None:
    """The console entry point: a bug never shows a bare traceback unless asked for."""
    import os
    import sys

    import typer

    try:
        args = quiz.normalize_timed(sys.argv[1:])
    except typer.Exit as done:  # a refused --timed: already said
        sys.exit(done.exit_code)
    try:
        app(args=args, prog_name="backprop-coach")
    except OSError as err:
        if os.environ.get("BACKPROP_COACH_DEBUG") or not _stdout_failed(err):
            raise
        from backprop_coach.cli.output import output_failed

        output_failed(err)
    except Exception as err:
        if os.environ.get("BACKPROP_COACH_DEBUG"):
            trace = getattr(err, "trace", None)  # a grading worker's own traceback
            if trace:
                sys.stderr.write(f"in the grading worker:\n{trace}")
            raise
        from backprop_coach.untrusted import printable

        sys.stderr.write(
            f"backprop-coach: internal error: {type(err).__name__}: {printable(str(err))}\n"
            "This is a bug; please report it. Run with BACKPROP_COACH_DEBUG=1 to see the traceback.\n"
        )
        sys.exit(70)
