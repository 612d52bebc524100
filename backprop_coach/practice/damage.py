"""What went wrong with the progress database, and the one remedy for real damage.

Telling corruption ("file is not a database", "database disk image is malformed", a failed
integrity check) from everything else (read-only, no permission, a full disk, a lock held too
long), saying each in the learner's words, and moving a damaged file aside under a name no
earlier backup has, under a lock on its folder so that two sessions never move the same file
twice, nor a healthy one.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MAX_BACKUPS = 10_000  # of one stamp; a name is always found long before


class Corrupt(Exception):
    """The file is damaged: moving it aside and starting afresh is the remedy."""


def describe(err: BaseException) -> str:
    """What went wrong, in the learner's words (sqlite3's own words as the last resort)."""
    name = getattr(err, "sqlite_errorname", "") or ""
    text = str(err)
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return "it is read-only (check the permissions of the file and its folder)"
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return "it cannot be opened or created (check that its folder exists and that you may write there)"
    if name == "SQLITE_FULL" or "disk is full" in text:
        return "the disk is full"
    if is_busy(err):
        return "another backprop-coach session kept it locked for too long; try again"
    if name.startswith("SQLITE_IOERR"):
        return f"the disk reported an error ({text})"
    if name.startswith(("SQLITE_PERM", "SQLITE_AUTH")):
        return "permission denied"
    if isinstance(err, Corrupt) or is_corrupt(err):
        return f"it is damaged ({text})"
    return text


def is_corrupt(err: BaseException) -> bool:
    """True for the errors that mean a damaged file (and only those)."""
    name = getattr(err, "sqlite_errorname", "") or ""
    text = str(err)
    return (
        name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
        or "file is not a database" in text
        or "database disk image is malformed" in text
    )


def is_busy(err: BaseException) -> bool:
    """True when another connection holds the lock (waiting longer may help)."""
    name = getattr(err, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(err)


def move_aside(path: Path, stamp: str, timeout: float) -> Path | None:
    """Move the damaged database at `path` (and its -wal and -shm) to
    `<name>.corrupt-<stamp>`, or `-2`, `-3`, ... after it when that is taken; the new name.
    None when, looked at again under the folder's lock, the file is gone or healthy (another
    session moved it first and started a fresh one). Raises OSError when it cannot be moved."""
    with _folder_lock(path.parent):
        if not path.exists() or _healthy(path, timeout):
            return None
        target = _unique(path.with_name(f"{path.name}.corrupt-{stamp}"))
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(path) + suffix)
            if source.exists():
                os.replace(source, Path(str(target) + suffix))
        return target


def _healthy(path: Path, timeout: float) -> bool:
    """True when the file at `path` now opens and passes the integrity check."""
    try:
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()
        return check is not None and check[0] == "ok"
    except sqlite3.Error as err:
        return not is_corrupt(err)
    finally:
        conn.close()


def _unique(base: Path) -> Path:
    """`base`, or `base-2`, `base-3`, ...: the first name not taken, reserved by creating it
    (so two moves in the same second never overwrite each other's backup). Raises OSError."""
    for n in range(1, MAX_BACKUPS):
        candidate = base if n == 1 else base.with_name(f"{base.name}-{n}")
        try:
            os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(17, "too many backups of the progress database; remove some", str(base))


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on the data folder (POSIX flock; without it the unique names still
    keep every backup)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)
