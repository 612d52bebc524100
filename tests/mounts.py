"""Real faults for the tests: a tiny tmpfs to fill up, and a folder that is truly read-only.

Mounting needs root (CI runs the tests as root); elsewhere the tests that need it are skipped
with the reason. A read-only folder is made with chmod when not root (root ignores permission
bits), and with a read-only remount of a tmpfs as root.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@contextmanager
def tiny_tmpfs(size_kb: int) -> Iterator[Path]:
    """A fresh tmpfs of `size_kb` kB, unmounted afterwards; skips the test unless root and
    mount works."""
    if not _root():
        pytest.skip("needs root to mount a tmpfs (CI runs the tests as root)")
    target = Path(tempfile.mkdtemp(prefix="bpc-tmpfs-"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(target)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        target.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True, check=False)
        target.rmdir()


def fill(folder: Path) -> Path:
    """Fill the file system of `folder` to the last byte; the filler file (delete it to free
    the space)."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as out:
        for chunk in (1 << 16, 1 << 12, 1):
            while True:
                try:
                    out.write(b"\0" * chunk)
                except OSError as err:
                    assert err.errno == errno.ENOSPC, err
                    break
    return filler


@contextmanager
def read_only_folder(prepare: Callable[[Path], None]) -> Iterator[Path]:
    """A folder whose contents `prepare` writes, then made read-only for this process."""
    if _root():
        with tiny_tmpfs(4096) as mount:
            prepare(mount)
            done = subprocess.run(
                ["mount", "-o", "remount,ro", str(mount)], capture_output=True, text=True,
                check=False,
            )  # fmt: skip
            if done.returncode != 0:
                pytest.skip(f"cannot remount a tmpfs read-only: {done.stderr.strip()}")
            yield mount
        return
    folder = Path(tempfile.mkdtemp(prefix="bpc-ro-"))
    prepare(folder)
    modes = {path: path.stat().st_mode for path in [folder, *folder.rglob("*")]}
    for path in modes:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield folder
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
        shutil.rmtree(folder)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative name, with its bytes."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
