"""Grade a learner's numbers against the engine's worked network, each to the digits given:
0.3589 is checked to 4 decimals (one unit in the last place, so truncating is fine too)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from backprop_coach.engine.backprop import Trace
from backprop_coach.engine.quantities import QuantityError, formula, select, value_of
from backprop_coach.expr.parse import Numbers, QuantityClaim


def tolerance(places: int | None) -> float:
    return 0.5 if places is None else 10.0**-places


@dataclass
class NumberResult:
    name: str
    given: str
    correct: bool
    expected: Any  # the engine's value, as plain numbers
    formula: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _flatten(value: Numbers) -> list[tuple[float, int | None]] | None:
    """The numbers of a nested list, or None if it is a single number."""
    if isinstance(value, tuple):
        return None
    out: list[tuple[float, int | None]] = []
    for item in value:
        inner = _flatten(item)
        out.extend([(float(item[0]), item[1])] if inner is None else inner)  # type: ignore[index]
    return out


def _shape(value: Numbers) -> tuple[int, ...]:
    if isinstance(value, tuple):
        return ()
    return (len(value), *(_shape(value[0]) if value else ()))


def check_numbers(trace: Trace, claim: QuantityClaim) -> NumberResult:
    name = claim.name
    given = claim.text.split("=", 1)[1].strip()
    try:
        truth = select(value_of(trace, claim.base, claim.layer), claim.index, name)
    except QuantityError as err:
        return NumberResult(name, given, False, None, "", str(err))
    law = formula(trace, claim.base, claim.layer)
    expected = np.asarray(truth, dtype=float)
    plain = expected.round(10).tolist()

    def result(correct: bool, message: str) -> NumberResult:
        return NumberResult(name, given, correct, plain, law, message)

    flat = _flatten(claim.value)
    if flat is None:
        if expected.ndim != 0:
            return result(
                False,
                f"{name} has shape {expected.shape}; give a list, or index one entry like {name}[0]",
            )
        value, places = claim.value  # type: ignore[misc]
        pairs = [(float(value), places)]
    else:
        if _shape(claim.value) != expected.shape:
            return result(
                False, f"{name} has shape {expected.shape}, you gave {_shape(claim.value)}"
            )
        pairs = flat
    truths = expected.reshape(-1)
    wrong = [
        i
        for i, ((v, places), t) in enumerate(zip(pairs, truths, strict=True))
        if abs(v - t) > tolerance(places) + 1e-12
    ]
    if not wrong:
        return result(True, f"{name} is right")
    where = "" if flat is None else f" (entries {', '.join(map(str, wrong))} are off)"
    return result(False, f"{name} should be {_fmt(plain)}{where}; it comes from {law}")


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return f"{value:.7g}"
