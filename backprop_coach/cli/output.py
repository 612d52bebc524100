"""The one place that prints. Rich decides colour from the terminal and honours NO_COLOR; when
stdout is not a terminal it prints plain text. Whatever a Console here prints passes through
`untrusted.printable` first, so no text from a file or from input reaches the terminal as an
escape sequence."""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console, ConsoleOptions, RenderableType, RenderHook, RenderResult
from rich.segment import Segment

from backprop_coach.untrusted import UNSAFE, FileRefused, printable, read_text_file

MAX_INPUT_BYTES = 10_000_000  # a --batch, --steps or net file; a 10 MB JSONL is 20k+ cases


class _Printable:
    """A renderable whose text is made printable after Rich has laid it out (Rich's own
    control segments, such as cursor moves of a progress bar, pass untouched)."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.renderable, options):
            if segment.control:
                yield segment
            else:
                yield Segment(printable(segment.text), segment.style)


class _Clean(RenderHook):
    def process_renderables(self, renderables: list[Any]) -> list[Any]:
        return [_Printable(r) for r in renderables]


def _clean(c: Console) -> Console:
    c.push_render_hook(_Clean())
    return c


@cache
def console() -> Console:
    return _clean(Console(highlight=False))


@cache
def error_console() -> Console:
    return _clean(Console(stderr=True, highlight=False))


def show(*renderables: RenderableType) -> None:
    """Print renderables; a plain string is text, never Rich markup (it may quote a path)."""
    for r in renderables:
        console().print(r, markup=False)


def emit_json(data: Any) -> None:
    """One JSON document a line. Text that cannot be written as UTF-8 (a lone surrogate echoed
    from an id) is written with \\u escapes instead, so the line is still valid JSON."""
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data)
    # what json leaves raw but a terminal would act on (C1, bidi) is written as \u escapes:
    # the same JSON, outside strings only ASCII can occur
    text = UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a user error to stderr and exit with `code` (never a traceback)."""
    import typer
    from rich.markup import escape

    error_console().print(f"[bold red]error:[/] {escape(printable(message))}", soft_wrap=True)
    raise typer.Exit(code)


def as_option(err: Exception) -> str:
    """An input error as the command line says it: a spec's field as its option (--shape W:
    ...), anything else as it is."""
    from backprop_coach.expr.errors import SpecError

    if isinstance(err, SpecError) and err.field and not err.field.startswith("-"):
        return f"--{err.field} {err.message}"
    return str(err)


def finite_seconds(option: str, value: float) -> float:
    """A time limit that is a real number (typer's ranges let nan and inf through)."""
    import math

    if not math.isfinite(value):
        fail(f"{option} {value}: give a number of seconds")
    return value


def read_text(path: Path, limit: int = MAX_INPUT_BYTES) -> str:
    """A UTF-8 text file a command was given (untrusted.read_text_file), or a clear error
    (exit 2) naming it: no such file, not a regular file (a FIFO, a device, a directory), larger
    than `limit` bytes, no permission, a symlink loop, a path too long, not UTF-8."""
    try:
        return read_text_file(path, limit)
    except FileRefused as err:
        fail(str(err))


def output_failed(err: OSError) -> NoReturn:
    """Standard output could not be written (a full disk, `> /dev/full`, a closed pipe): say so
    on stderr and exit 2, with stdout pointed at /dev/null so that the flush at exit does not
    fail a second time."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    reason = (err.strerror or "the output was refused").lower()
    sys.stderr.write(f"error: cannot write the output: {reason}\n")
    sys.exit(2)
