"""Run grading in a forked child with a hard wall-clock and memory bound.

A whitelist does not stop every hang (big-integer arithmetic holds the GIL, some SymPy calls sit
in C), and threads cannot be killed, so each grading runs in a forked worker process that the
parent kills when the time is up. One worker serves many requests (batch mode pays the fork once);
a worker that times out is killed and a fresh one is forked for the next request.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

MEMORY_HEADROOM = 2 << 30  # bytes of address space a worker may add to what the parent had


class SandboxTimeout(Exception):
    """The work did not finish within the time limit."""


class SandboxCrash(Exception):
    """The worker died (out of memory, killed) or raised an unexpected error."""


def _limit_memory() -> None:
    try:
        with open("/proc/self/status") as status:
            vm = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
        resource.setrlimit(resource.RLIMIT_AS, (vm + MEMORY_HEADROOM, vm + MEMORY_HEADROOM))
    except (OSError, StopIteration, ValueError):
        pass  # not Linux or not allowed: the wall-clock bound still holds


def _serve(conn: Connection) -> None:
    _limit_memory()
    while True:
        try:
            request = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if request is None:
            return
        fn, args = request
        try:
            reply: tuple[str, Any] = ("ok", fn(*args))
        except MemoryError:
            reply = ("crash", "ran out of memory")
        except RecursionError:
            reply = ("crash", "the expression is too deeply nested to evaluate")
        except Exception as err:  # reported, never shown as a traceback
            reply = ("crash", f"{type(err).__name__}: {err}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class Sandbox:
    """`with Sandbox() as box: box.call(fn, args, timeout)` runs fn(*args) in a worker."""

    def __init__(self) -> None:
        self._ctx = multiprocessing.get_context("fork")
        self._proc: Any = None
        self._conn: Connection | None = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> Connection:
        if self._conn is None:
            parent, child = self._ctx.Pipe()
            self._proc = self._ctx.Process(target=_serve, args=(child,), daemon=True)
            self._proc.start()
            child.close()
            self._conn = parent
        return self._conn

    def call(self, fn: Callable[..., Any], args: tuple[Any, ...], timeout: float) -> Any:
        conn = self._start()
        try:
            conn.send((fn, args))
            if not conn.poll(timeout):
                self._kill()
                raise SandboxTimeout(f"gave up after {timeout:g} s")
            status, value = conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError) as err:
            self._kill()
            raise SandboxCrash("the grading worker stopped unexpectedly (out of memory?)") from err
        except BaseException:
            self._kill()
            raise
        if status != "ok":
            raise SandboxCrash(value)
        return value

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join()
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.send(None)
            except OSError:
                pass
            self._proc.join(timeout=1)
        self._kill()


def in_sandbox() -> bool:
    """True when forking is available (POSIX); elsewhere work runs in-process."""
    return os.name == "posix"
