"""The CPU budget: nested budgets share the outer one's time, and a stop that lands inside a
garbage-collector callback is put off until it returns (never swallowed)."""

from __future__ import annotations

import gc
import sys
import time
from typing import Any

import pytest

from backprop_coach.grading.budget import OutOfTime, cpu_budget

LOOP = 30_000_000  # far more CPU than any budget below: the budget must end it


def _burn(iterations: int = LOOP) -> None:
    total = 0
    for i in range(iterations):
        total += i


def _burn_seconds(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_an_inner_budget_gets_no_more_than_the_outer_has_left() -> None:
    with pytest.raises(OutOfTime), cpu_budget(0.05), cpu_budget(60.0):
        _burn()


def test_the_outer_budget_is_charged_for_the_inner_block() -> None:
    with pytest.raises(OutOfTime), cpu_budget(0.3):
        with pytest.raises(OutOfTime), cpu_budget(0.2):
            _burn()  # uses the inner 0.2 s
        _burn()  # the outer has about 0.1 s left, not 0.3


def test_a_stop_inside_a_gc_callback_is_put_off_not_swallowed() -> None:
    swallowed: list[Any] = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = swallowed.append

    def slow_callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            _burn_seconds(0.05)  # the budget runs out in here

    gc.callbacks.append(slow_callback)
    try:
        with pytest.raises(OutOfTime), cpu_budget(0.01):
            gc.collect()
            _burn()
    finally:
        gc.callbacks.remove(slow_callback)
        sys.unraisablehook = old_hook
    assert swallowed == []
