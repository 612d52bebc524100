"""A learner's numbers, one rule for `check --at`, `trace --check` and numeric quiz questions.

A number is right when it is the truth correctly rounded to the digits given: within half a unit
of its last digit (plus a slack for float error). It must carry at least MIN_FIGURES significant
figures of a non-zero truth, so that `0.2` cannot pass for 0.1463; fewer is refused (TooFewFigures,
an input error: exit 2, no quiz attempt used). `0` means exactly zero. A value off by a unit or
two in the last digit, a truncated one included, is `rounding`: close, but not right.
"""

from __future__ import annotations

from dataclasses import dataclass

from backprop_coach.expr.errors import SpecError
from backprop_coach.expr.parse import GivenNumber

MIN_FIGURES = 2
ZERO = 1e-12  # |truth| below this is zero (float noise of an exact zero)


class TooFewFigures(SpecError):
    """The number has too few significant figures to be judged."""


@dataclass(frozen=True)
class NumberJudgement:
    """The verdict on one number. `message` never states the true value (a quiz must not
    reveal it while attempts remain); callers that may show it add it themselves."""

    correct: bool
    code: str | None  # None when correct; "sign_flip", "rounding" or "wrong"
    message: str


def _slack(truth: float) -> float:
    return 1e-9 * abs(truth) + 1e-15


def judge(given: GivenNumber, truth: float, what: str = "it") -> NumberJudgement:
    """Judge `given` against `truth`. Raises TooFewFigures for a non-zero number with fewer than
    MIN_FIGURES significant figures."""
    value = float(given.value)
    if given.value == 0:
        if abs(truth) <= ZERO:
            return NumberJudgement(True, None, f"right: {what} is exactly 0")
        return NumberJudgement(False, "wrong", f"{what} is not 0")
    if given.figures < MIN_FIGURES:
        raise TooFewFigures(
            f"{given.text} has {given.figures} significant figure; give at least {MIN_FIGURES} "
            "(for example 0.15 or 0.146 rather than 0.1), so the number shows what you computed"
        )
    half = float(given.unit) / 2 + _slack(truth)
    if abs(value - truth) <= half:
        return NumberJudgement(True, None, f"right: {what} to the digits given")
    if abs(value + truth) <= half:
        return NumberJudgement(False, "sign_flip", f"sign flipped: {what} has the opposite sign")
    unit = float(given.unit)
    rounded = round(truth / unit) * unit
    if abs(value - rounded) <= 2 * unit + _slack(truth):
        truncated = abs(value) < abs(truth) and abs(value - truth) < unit and value * truth > 0
        hint = (
            "round rather than truncate: the next digit rounds the last one up"
            if truncated
            else "carry more digits through the intermediate steps and round only at the end"
        )
        return NumberJudgement(False, "rounding", f"close, but off in the last digit: {hint}")
    return NumberJudgement(False, "wrong", f"{what} is not {given.text}")


def decimals_for(truth: float, figures: int = 4) -> int:
    """Decimals that show `figures` significant figures of `truth` (for printing it)."""
    if truth == 0:
        return figures
    exponent = int(f"{abs(truth):e}".split("e")[1])
    return max(0, figures - 1 - exponent)
