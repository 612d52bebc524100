"""A budget of CPU time for SymPy work that may be interrupted (building a problem's exact
truth, printing it, proving a claim). CPU time, not wall time: the same input gets the same
outcome on a busy machine. The sandbox bounds everything else."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


class OutOfTime(Exception):
    """The budget ran out."""


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Raise OutOfTime inside the block once it has used `seconds` of CPU. Outside the main
    thread (where signals cannot be set) the block runs unbounded. Budgets do not nest: an
    inner one replaces the outer for its duration."""

    def stop(signum: int, frame: object) -> None:
        raise OutOfTime

    try:
        previous = signal.signal(signal.SIGPROF, stop)
    except ValueError:  # not the main thread
        yield
        return
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
