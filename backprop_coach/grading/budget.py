"""A budget of CPU time for SymPy work that may be interrupted (building a problem's exact
truth, printing it, proving a claim). CPU time, not wall time: the same input gets the same
outcome on a busy machine. The sandbox bounds everything else."""

from __future__ import annotations

import gc
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SOON = 0.001  # seconds of CPU: a deferred stop fires again this soon


class OutOfTime(Exception):
    """The budget ran out."""


def _in_gc_callback(frame: FrameType | None) -> bool:
    """Whether the interrupted code runs inside a garbage-collector callback, where an
    exception cannot propagate (Python reports it as unraisable and carries on)."""
    codes = {getattr(cb, "__code__", None) for cb in gc.callbacks}
    while frame is not None:
        if frame.f_code in codes:
            return True
        frame = frame.f_back
    return False


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Raise OutOfTime inside the block once it has used `seconds` of CPU. Budgets nest: an
    inner block gets at most what the outer one has left, and the outer one is charged for
    what the inner one used. A stop that falls inside a garbage-collector callback is put off
    until the callback returns. Outside the main thread (where signals cannot be set) the block
    runs unbounded."""

    def stop(signum: int, frame: FrameType | None) -> None:
        if _in_gc_callback(frame):
            signal.setitimer(signal.ITIMER_PROF, SOON)
            return
        raise OutOfTime

    try:
        previous = signal.signal(signal.SIGPROF, stop)
    except ValueError:  # not the main thread
        yield
        return
    outer_left = signal.getitimer(signal.ITIMER_PROF)[0]  # 0 when no budget encloses this one
    budget = min(seconds, outer_left) if outer_left else seconds
    signal.setitimer(signal.ITIMER_PROF, budget)
    try:
        yield
    finally:
        left = signal.getitimer(signal.ITIMER_PROF)[0]
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
        if outer_left:  # the outer budget, less what this block used
            signal.setitimer(signal.ITIMER_PROF, max(outer_left - (budget - left), SOON))
