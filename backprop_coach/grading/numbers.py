"""Grade a learner's numbers against the engine's worked network, each by the one rule for a
learner's numbers (grading.rounding): 0.3589 must be the truth correctly rounded to 4 decimals."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from backprop_coach.engine.backprop import Trace
from backprop_coach.engine.quantities import formula, select, value_of
from backprop_coach.expr.parse import GivenNumber
from backprop_coach.expr.quantity import Numbers, QuantityClaim
from backprop_coach.grading.rounding import judge


@dataclass
class NumberResult:
    name: str
    given: str
    correct: bool
    expected: Any  # the engine's value, as plain numbers
    formula: str
    message: str
    diagnosis: str | None = None  # sign_flip, rounding or wrong (the first wrong entry's)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _flatten(value: Numbers) -> list[GivenNumber] | None:
    """The numbers of a nested list, or None if it is a single number."""
    if isinstance(value, GivenNumber):
        return None
    out: list[GivenNumber] = []
    for item in value:
        inner = _flatten(item)
        out.extend([item] if inner is None else inner)  # type: ignore[list-item]
    return out


def _shape(value: Numbers) -> tuple[int, ...] | None:
    """The nested list's shape, or None when it is ragged ([[1, 2], [3]])."""
    if isinstance(value, GivenNumber):
        return ()
    inner = {_shape(item) for item in value}
    if len(inner) > 1 or None in inner:
        return None
    rest = inner.pop() if inner else ()
    return None if rest is None else (len(value), *rest)


def check_numbers(trace: Trace, claim: QuantityClaim) -> NumberResult:
    """Judge the learner's value for one quantity of a worked network (the rounding rule of
    grading/rounding.py). Raises QuantityError when the network has no such quantity (a layer
    beyond the last, an index out of range) and ExprError when a number has too few figures."""
    name = claim.name
    given = claim.text.split("=", 1)[1].strip()
    truth = select(value_of(trace, claim.base, claim.layer), claim.index)
    law = formula(trace, claim.base, claim.layer)
    expected = np.asarray(truth, dtype=float)
    plain = expected.round(10).tolist()

    def result(correct: bool, message: str, code: str | None = None) -> NumberResult:
        return NumberResult(name, given, correct, plain, law, message, code)

    flat = _flatten(claim.value)
    if flat is None:
        if expected.ndim != 0:
            return result(
                False,
                f"{name} has shape {expected.shape}; give a list, or index one entry like {name}[0]",
            )
        assert isinstance(claim.value, GivenNumber)  # not a list: _flatten said so
        numbers = [claim.value]
    else:
        given_shape = _shape(claim.value)
        if given_shape is None:
            return result(False, f"the rows of your {name} have different lengths")
        if given_shape != expected.shape:
            return result(False, f"{name} has shape {expected.shape}, you gave {given_shape}")
        numbers = flat
    truths = expected.reshape(-1)
    judged = [
        judge(number, float(t), name)
        for number, t in zip(numbers, truths, strict=True)
    ]
    wrong = [i for i, j in enumerate(judged) if not j.correct]
    if not wrong:
        return result(True, f"{name} is right")
    first = judged[wrong[0]]
    where = "" if flat is None else f" (entries {', '.join(map(str, wrong))} are off)"
    return result(
        False,
        f"{name} should be {_fmt(plain)}{where}; {first.message}; it comes from {law}",
        first.code,
    )


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return f"{value:.7g}"
