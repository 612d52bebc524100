"""A learner's numbers, one rule for `check --at`, `trace --check` and numeric quiz questions.

A number is right when it is the truth correctly rounded to the digits given: within half a unit
of its last digit (plus a slack for float error; at an exact tie either neighbour is right). It must carry at least MIN_FIGURES significant
figures of a non-zero truth, so that `0.2` cannot pass for 0.1463; fewer is refused (TooFewFigures,
an input error: exit 2, no quiz attempt used), unless the number is the truth exactly (0.5 for
0.5). `0` means exactly zero: the truth must be zero to within the float error of computing it,
never within a fixed absolute floor. A value off by a unit or two in the last digit, a truncated
one included, is `rounding`: close, but not right.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from backprop_coach.expr.errors import SpecError
from backprop_coach.expr.parse import GivenNumber

MIN_FIGURES = 2
RELATIVE_SLACK = 1e-12  # float error in a truth computed in float64, relative to it


class TooFewFigures(SpecError):
    """The number has too few significant figures to be judged."""


@dataclass(frozen=True)
class NumberJudgement:
    """The verdict on one number. `message` never states the true value (a quiz must not
    reveal it while attempts remain); callers that may show it add it themselves."""

    correct: bool
    code: str | None  # None when correct; "sign_flip", "rounding" or "wrong"
    message: str


def judge(
    given: GivenNumber,
    truth: float | Fraction,
    what: str = "it",
    noise: Fraction | None = None,
    figures: int = MIN_FIGURES,
) -> NumberJudgement:
    """Judge `given` against `truth`. `noise` is how far off the truth may be: None for a
    float64 result (good to RELATIVE_SLACK of itself), an absolute bound otherwise (0 for an
    exact truth, given as a Fraction of its 40 digits). The arithmetic is exact (Fractions), so
    a number with 20 digits is judged on all 20. A number that is the truth exactly (0.5 for
    0.5) is right whatever its figures. Raises TooFewFigures for any other number with fewer
    than `figures` significant figures."""
    value, exact = given.value, Fraction(truth)
    if noise is None:
        slack = Fraction(RELATIVE_SLACK) * abs(exact)
    else:
        slack = noise + abs(exact) / 10**35  # the 40-digit truth's last digits
    if abs(value - exact) <= slack:
        return NumberJudgement(True, None, f"right: {what} is exactly {given.text}")
    if value == 0 and given.unit < 1:  # 0.000: no figure says what was computed
        raise TooFewFigures(
            f"{given.text} has no significant figure: write 0 if you mean exactly zero, or give "
            f"{what} to at least {figures} significant figures (1.2e-13, not 0.000)"
        )
    if value == 0:  # 0 claims exactly zero
        return NumberJudgement(False, "wrong", f"{what} is not 0")
    if abs(exact) <= slack:  # the truth is zero: any other number is wrong, whatever its digits
        return NumberJudgement(False, "wrong", f"{what} is exactly 0")
    if given.figures < figures:
        raise TooFewFigures(
            f"{given.text} has {given.figures} significant figure"
            f"{'s' if given.figures > 1 else ''}; give at least {figures} (for example 0.146 "
            "rather than 0.1), so the number shows what you computed"
        )
    unit = given.unit
    half = unit / 2 + slack
    if abs(value - exact) <= half:
        return NumberJudgement(True, None, f"right: {what} to the digits given")
    if abs(value + exact) <= half:
        return NumberJudgement(False, "sign_flip", f"sign flipped: {what} has the opposite sign")
    if abs(value - round(exact / unit) * unit) <= 2 * unit + slack:
        truncated = abs(value) < abs(exact) and abs(value - exact) < unit and value * exact > 0
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
