"""Text and files from outside the program (question banks, --steps, --batch and net files,
paths, typed input): made safe to print, and read within bounds.

`printable` is the one place that decides which characters may reach a terminal; every Console
of the CLI applies it to everything it prints (cli.output). `read_text_file` is the one way a
file named by the learner is read: regular files only, the size checked before reading, at
most the limit plus one byte read. Neither imports Rich, numpy or SymPy, so every layer may
use them.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

# C0 controls but tab and newline, DEL, C1 controls, the bidi embeddings and overrides
# (U+202A-U+202E) and isolates (U+2066-U+2069): what lets text move the cursor, clear the
# screen, set the title, write the clipboard (OSC 52), plant links or reorder what is shown.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SURROGATE = re.compile("[\ud800-\udfff]")  # a lone surrogate cannot even be written as UTF-8
EXCERPT = 60  # characters of the learner's input quoted in a message, at most
PATH_EXCERPT = 120  # characters of a path named in a message, at most (its ends are kept)


def printable(text: str, visible: bool = False) -> str:
    """`text` without the characters that could act on a terminal (see UNSAFE); a lone
    surrogate becomes U+FFFD. With `visible`, each such character is shown as its code
    (\\x1b, \\u202e) instead, for a learner's own file where they must find it."""
    text = SURROGATE.sub("\ufffd", text)
    if visible:
        return UNSAFE.sub(lambda m: repr(m.group())[1:-1], text)
    return UNSAFE.sub("", text)


def excerpt(text: object, limit: int = EXCERPT) -> str:
    """At most `limit` characters of `text` (its middle elided with …), printable: for quoting
    input in a message."""
    shown = printable(str(text))
    if len(shown) <= limit:
        return shown
    half = (limit - 1) // 2
    return f"{shown[:half]}…{shown[-half:]}"


def quoted(text: object) -> str:
    """A value from the learner's input quoted in a message as Python writes it (a control
    character shows as its code), at most about EXCERPT characters."""
    return excerpt(repr(text))


def path_text(path: object) -> str:
    """A path as a message names it: printable, at most PATH_EXCERPT characters."""
    return excerpt(path, PATH_EXCERPT)


class FileRefused(Exception):
    """A file that is not read, and why, in the learner's words; `path` is the file."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot read {path_text(path)}: {reason}")
        self.path = path
        self.reason = reason


_KINDS = (
    (stat.S_ISDIR, "it is a directory"),
    (stat.S_ISFIFO, "it is a pipe (FIFO), not a regular file"),
    (stat.S_ISCHR, "it is a device, not a regular file"),
    (stat.S_ISBLK, "it is a device, not a regular file"),
    (stat.S_ISSOCK, "it is a socket, not a regular file"),
)


def _kind(mode: int) -> str | None:
    """Why a file of this mode is not read, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((why for test, why in _KINDS if test(mode)), "it is not a regular file")


def os_reason(err: OSError) -> str:
    """An OSError in the learner's words (no class name, no errno number)."""
    if err.errno == errno.ELOOP:
        return "a symbolic link loops back on itself"
    if err.errno == errno.ENAMETOOLONG:
        return "the path is too long for the file system"
    if err.errno == errno.ENOENT:
        return "no such file or directory"
    return (err.strerror or "the file system refused it").lower()


def read_text_file(path: Path, limit: int) -> str:
    """The UTF-8 text of the regular file at `path` (a leading BOM dropped). Raises FileRefused
    when it is not a regular file (a FIFO, a device or a directory is refused by name, before
    it is opened for reading), is larger than `limit` bytes (checked with stat, and no more
    than limit + 1 bytes are ever read), cannot be opened (no such file, no permission, a
    symlink loop, a path too long), or is not UTF-8."""
    try:
        why = _kind(os.stat(path).st_mode)
        if why is not None:
            raise FileRefused(path, why)
        # O_NONBLOCK: a file swapped for a FIFO after the stat still cannot block the open
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the path
        reason = os_reason(err) if isinstance(err, OSError) else "the path contains a NUL byte"
        raise FileRefused(path, reason) from None
    try:
        info = os.fstat(fd)
        why = _kind(info.st_mode)
        if why is not None:
            raise FileRefused(path, why)
        if info.st_size > limit:
            raise FileRefused(path, _too_large(info.st_size, limit))
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as err:
        raise FileRefused(path, os_reason(err)) from None
    finally:
        os.close(fd)
    if size > limit:  # it grew after the stat
        raise FileRefused(path, _too_large(size, limit))
    try:
        return b"".join(chunks).decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise FileRefused(path, "it is not UTF-8 text") from None


def _too_large(size: int, limit: int) -> str:
    return f"it is too large ({size:,} bytes; the limit is {limit:,})"
