"""Writing a file all at once: a reader, a crash or a full disk sees the old file or the new one,
never a mixture or a truncated one.

The data goes to a temporary file in the same directory (so the final rename stays on one file
system), which is flushed and fsynced, then renamed over the target with os.replace (atomic on
POSIX and Windows). On any failure the temporary file is removed and the old file is untouched.
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import suppress
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace the contents of `path` with `data` (str is written as UTF-8) atomically.

    An existing file keeps its permission bits; a new one gets the usual ones (0o666 less the
    umask), not the 0o600 of a temporary file. A symbolic link is followed: the file it points
    to is replaced and the link stays. A target that exists but is not a regular file (a
    terminal, a pipe, /dev/stdout) is written in place, since it cannot be replaced.

    Raises OSError when the file cannot be written (no such directory, no permission, a full
    disk, `path` is a directory); the old file is then whole and no temporary file is left.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(21, "it is a directory", str(path))
    if info is not None and not stat.S_ISREG(info.st_mode):
        with open(path, "wb") as out:  # a device or a pipe: nothing to replace
            out.write(payload)
        return
    target = Path(os.path.realpath(path))  # a link stays a link to the new file
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(target.parent)


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); not possible everywhere, so best effort."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
