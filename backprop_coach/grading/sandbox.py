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
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from typing import Any, cast

RECURSION_LIMIT = 20_000
MEMORY_HEADROOM = 2 << 30  # bytes of address space a worker may add to what the parent had


class SandboxTimeout(Exception):
    """The work did not finish within the time limit."""


class SandboxCrash(Exception):
    """The worker died (out of memory, killed) or ran out of memory or recursion depth."""


class WorkerBug(Exception):
    """The work raised an exception nobody expected: a bug of this tool, never the learner's
    input (input errors are the project's own types, turned into verdicts before this). It
    carries the worker's traceback, shown under BACKPROP_COACH_DEBUG."""

    def __init__(self, trace: str) -> None:
        lines = trace.strip().splitlines()
        super().__init__(lines[-1] if lines else "unknown error")
        self.trace = trace


def _limit_memory() -> None:
    try:
        with open("/proc/self/status") as status:
            vm = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
        resource.setrlimit(resource.RLIMIT_AS, (vm + MEMORY_HEADROOM, vm + MEMORY_HEADROOM))
    except (OSError, StopIteration, ValueError):
        pass  # not Linux or not allowed: the wall-clock bound still holds


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel kills this worker when the process that forked it dies, however it
    dies (SIGTERM, SIGKILL, a crash), so no worker outlives the command. Elsewhere the closed
    pipe ends the worker at its next request."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request above was made (the
        os._exit(0)  # orphan went to init or to a subreaper)


# signals the parent holds back while it forks a worker, so none reaches the worker before it
# has set its own handlers (a SIGINT there would print "Process ForkProcess-1:" and a traceback)
HELD_BACK = {signal.SIGINT, signal.SIGTERM}


def _serve(conn: Connection, parent: int) -> None:
    """The worker's loop. It never prints: every error goes back through the pipe, and
    anything that escapes ends the worker silently (the parent sees a crash)."""
    try:
        _die_with_parent(parent)
        # Ctrl-C is the parent's to handle: it kills busy workers; a worker that took the
        # signal itself would print a traceback of its own
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # SIGTERM (to the whole process group) just ends a worker; the parent's handler, which
        # a fork inherits, would raise in here
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_BACK)
        # a sum of 300 terms is a tree 300 deep, and printing it takes a few frames a level;
        # Python 3.11+ keeps such frames off the C stack, and a crash stays in this worker
        sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
        _limit_memory()
        _answer(conn)
    except BaseException:
        os._exit(1)
    os._exit(0)  # not through multiprocessing's exit path, which may print


def _answer(conn: Connection) -> None:
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
        except Exception:  # a bug: the parent reports it as one, with this traceback
            import traceback

            reply = ("bug", traceback.format_exc())
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
        self._busy = False  # a request is in flight

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> Connection:
        if self._conn is None:
            parent, child = self._ctx.Pipe()
            self._proc = self._ctx.Process(target=_serve, args=(child, os.getpid()), daemon=True)
            held = _hold_back()
            try:
                self._proc.start()
            finally:
                _release(held)
            child.close()
            self._conn = parent
        return self._conn

    def call(self, fn: Callable[..., Any], args: tuple[Any, ...], timeout: float) -> Any:
        conn = self.submit(fn, args)
        try:
            if not conn.poll(timeout):
                self._kill()
                raise SandboxTimeout(f"gave up after {timeout:g} s")
        except BaseException:
            self._kill()
            raise
        return self.receive()

    def submit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Connection:
        """Send fn(*args) to the worker (forked now if need be); the connection becomes readable
        when the reply is in (then `receive`)."""
        conn = self._start()
        try:
            conn.send((fn, args))
        except (BrokenPipeError, ConnectionResetError, OSError) as err:
            self._kill()
            raise SandboxCrash("the grading worker stopped unexpectedly (out of memory?)") from err
        self._busy = True
        return conn

    def receive(self) -> Any:
        """The reply to the last `submit`: its value, or SandboxCrash."""
        assert self._conn is not None
        self._busy = False
        try:
            status, value = self._conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError, OSError) as err:
            self._kill()
            raise SandboxCrash("the grading worker stopped unexpectedly (out of memory?)") from err
        if status == "bug":
            raise WorkerBug(value)
        if status != "ok":
            raise SandboxCrash(value)
        return value

    def abandon(self) -> None:
        """Kill the worker (its work ran out of time); the next submit forks a fresh one."""
        self._kill()

    def _kill(self) -> None:
        self._busy = False
        if self._proc is not None:
            self._proc.kill()
            self._proc.join()
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        """Stop the worker: an idle one is asked to finish, a busy one (Ctrl-C, an early exit)
        is killed at once rather than waited for."""
        if self._conn is not None and not self._busy:
            try:
                self._conn.send(None)
            except OSError:
                pass
            self._proc.join(timeout=1)
        self._kill()


def _hold_back() -> set[int] | None:
    """Block HELD_BACK in this thread (POSIX); the previous mask, for _release."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return {int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, HELD_BACK)}


def _release(held: set[int] | None) -> None:
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def default_jobs() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


Task = tuple[Callable[..., Any], tuple[Any, ...]]
Outcome = tuple[str, Any]  # ("ok", value), ("timeout", message) or ("crash", message)


class Pool:
    """`jobs` sandboxes working through a stream of calls at once, results in the order of the
    calls. One thread: the parent waits on the workers' pipes, so a worker can always be
    killed at its deadline."""

    MAX_AHEAD = 64  # results held back waiting for a slower earlier call

    def __init__(self, jobs: int) -> None:
        self.boxes = [Sandbox() for _ in range(max(1, jobs))]

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        for box in self.boxes:
            box.close()

    def map(self, tasks: Iterable[Task | Outcome], timeout: float) -> Iterator[Outcome]:
        """An outcome for each task, in order; an item that is already an outcome (a line
        refused before grading) passes through in its place."""
        import time
        from multiprocessing.connection import wait

        stream = enumerate(tasks)
        done: dict[int, Outcome] = {}
        idle = list(self.boxes)
        busy: dict[Connection, tuple[int, Sandbox, float]] = {}
        following, exhausted, issued = 0, False, 0
        while True:
            while idle and not exhausted and len(done) < self.MAX_AHEAD:
                try:
                    index, task = next(stream)
                except StopIteration:
                    exhausted = True
                    break
                except Exception as err:  # the stream itself failed: report it in its place
                    done[issued] = ("crash", f"{type(err).__name__}: {err}")
                    exhausted = True
                    break
                issued = index + 1
                fn, args = task
                if isinstance(fn, str):  # an outcome already
                    done[index] = task  # type: ignore[assignment]
                    continue
                box = idle.pop()
                try:
                    conn = box.submit(fn, args)
                except SandboxCrash as err:
                    done[index] = ("crash", str(err))
                    idle.append(box)
                    continue
                busy[conn] = (index, box, time.monotonic() + timeout)
            while following in done:
                yield done.pop(following)
                following += 1
            if not busy:
                if exhausted and not done:
                    return
                continue
            now = time.monotonic()
            soonest = min(deadline for _, _, deadline in busy.values())
            for ready in wait(list(busy), timeout=max(0.0, soonest - now)):
                index, box, _ = busy.pop(cast(Connection, ready))
                try:
                    done[index] = ("ok", box.receive())
                except SandboxCrash as err:
                    done[index] = ("crash", str(err))
                except WorkerBug as bug:
                    done[index] = ("bug", bug.trace)
                idle.append(box)
            now = time.monotonic()
            for conn, (index, box, deadline) in list(busy.items()):
                if deadline <= now:
                    del busy[conn]
                    box.abandon()
                    done[index] = ("timeout", f"gave up after {timeout:g} s")
                    idle.append(box)

