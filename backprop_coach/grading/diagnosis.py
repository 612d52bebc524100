"""Compare a claim with the truth at sample points, and say what is wrong with it.

All arrays are shaped (points, rows, cols). A point agrees when
|claim - truth| <= max(RTOL * |truth|, ATOL * scale, slack), where scale is the largest magnitude
of either array at that point (never over all points: exp(12z) + 1 is not exp(12z)), and slack (from the grader) is TERMS_RTOL times the magnitude of
the terms that claim and truth add up at that point: a factor 1.000001 is rejected, 0 is not
accepted for a tiny but nonzero truth, and the float noise of an exact zero that cancels terms of
size 1 (∂/∂z Σ softmax(z) = 0) is accepted while a claim off by 1e-6 of those terms is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from backprop_coach.grading.verdict import Counterexample

RTOL = 1e-8
ATOL = 1e-12
TERMS_RTOL = 1e-13  # float error of a sum is ~1e-16 of its terms, times a few; a slip is larger


def agree(claim: np.ndarray, truth: np.ndarray, slack: np.ndarray | None = None) -> np.ndarray:
    """Boolean array: where the claim matches the truth (`slack`: extra absolute tolerance,
    broadcast against the arrays)."""
    with np.errstate(all="ignore"):
        gap = np.abs(claim - truth)
        allowed = tolerance(claim, truth)
        if slack is not None:
            allowed = np.maximum(allowed, slack)
        # inf - inf is nan (never agrees); an infinite claim agrees only with the same infinity
        same_infinity = np.isinf(claim) & (claim == truth)
        return (np.isfinite(gap) & (gap <= allowed)) | same_infinity


SLIP_RTOL = 1e-3  # a slip is named when the candidate is right to 3 digits beyond its rounding


def unsettled(
    claim: np.ndarray,
    truth: np.ndarray,
    claim_terms: np.ndarray,
    truth_terms: np.ndarray,
    loose: bool = False,
) -> np.ndarray:
    """The points (boolean, one a point) where float values cannot settle agreement: they
    agree only within the truth's rounding slack; or the claim's own rounding error exceeds the
    tolerance (a claim may never widen its tolerance: (10^20 + w) − 10^20 is 0 in floats); or
    the truth is within its rounding error of zero (1 − tanh²(w + 30) is 0 in floats, 4e-26 in
    fact). The terms are each side's magnitudes (expr.tensor.Points.magnitudes). `loose`: the
    claim's rounding only counts beyond SLIP_RTOL of the truth (naming a slip, not a verdict)."""
    with np.errstate(all="ignore"):
        plain = agree(claim, truth)
        allowed = tolerance(claim, truth)
        if loose:
            allowed = np.maximum(allowed, SLIP_RTOL * np.abs(truth))
        own_error = terms_slack(claim_terms) > allowed
        truth_error = terms_slack(truth_terms)
        unsure = (np.abs(truth) <= truth_error) & (truth_error > 0)
        return (~plain | own_error | unsure).any(axis=(1, 2))


def tolerance(claim: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """max(RTOL·|truth|, ATOL·scale) entry by entry, scale being the largest finite magnitude of
    either array at each point (never over all points: exp(12z) + 1 is not exp(12z))."""
    with np.errstate(all="ignore"):
        scale = np.maximum(_point_max(claim), _point_max(truth))
        return np.maximum(RTOL * np.abs(truth), ATOL * scale)


def terms_slack(terms: np.ndarray) -> np.ndarray:
    """The slack for expressions whose terms have these magnitudes; none where they overflow
    (inf is never within inf of the truth)."""
    return np.where(np.isfinite(terms), TERMS_RTOL * terms, 0.0)


def close(claim: np.ndarray, truth: np.ndarray, slack: np.ndarray | None = None) -> bool:
    return bool(np.all(agree(claim, truth, slack)))


def _point_max(a: np.ndarray) -> np.ndarray:
    """The largest finite magnitude at each point (axis 0), shaped to broadcast: (points, 1, 1)."""
    finite = np.where(np.isfinite(a), np.abs(a), 0.0)
    return finite.max(axis=(1, 2), keepdims=True) if a.ndim == 3 else finite


def _finite_max(a: np.ndarray) -> float:
    finite = np.abs(a[np.isfinite(a)])
    return float(finite.max()) if finite.size else 0.0


@dataclass(frozen=True)
class Finding:
    """What the numbers say about a claim, before it becomes a Verdict: the diagnosis code
    (None when correct), the message, and the diagnosis's own facts."""

    code: str | None  # None when correct
    message: str
    factor: str | None = None  # missing_factor, extra_factor: the factor; constant_factor: k
    counterexample: Counterexample | None = None
    domain: tuple[str, str] | None = None  # (name, domain) that would make the claim right
    wrote_meant: tuple[str, str] | None = None  # wrong_argument
    at: int | None = None  # the sample point of the counterexample


def nice_number(k: float) -> str:
    frac = Fraction(k).limit_denominator(64)
    if abs(float(frac) - k) <= 1e-9 * max(1.0, abs(k)):
        return (
            str(frac.numerator) if frac.denominator == 1 else f"{frac.numerator}/{frac.denominator}"
        )
    return f"{k:.10g}"


def constant_ratio(claim: np.ndarray, truth: np.ndarray) -> float | None:
    """k when claim = k·truth at every point (k not 1), else None."""
    scale = _finite_max(truth)
    mask = np.abs(truth) > 1e-6 * scale
    if scale == 0.0 or not mask.any():
        return None
    with np.errstate(all="ignore"):
        k = float(np.median(claim[mask] / truth[mask]))
    if not np.isfinite(k) or k == 0.0:
        return None
    snapped = Fraction(k).limit_denominator(64)
    for candidate in (float(snapped), k):
        if close(claim, candidate * truth) and abs(candidate - 1.0) > 1e-9:
            return candidate
    return None


def transposed(claim: np.ndarray, truth: np.ndarray, slack: np.ndarray | None = None) -> bool:
    return claim.shape[1:] == truth.shape[1:][::-1] and close(
        np.swapaxes(claim, 1, 2), truth, slack
    )


def factor_relation(
    claim: np.ndarray,
    truth: np.ndarray,
    factors: list[tuple[str, np.ndarray]],
    target: str = "the true gradient",
) -> Finding | None:
    """missing_factor when truth = claim ⊙ F, extra_factor when claim = truth ⊙ F, where F is
    a scalar, the truth's shape, or a column or row repeated across it (σ'(z) dropped from
    inside δ xᵀ is a factor that is the same in every column)."""
    rows, cols = truth.shape[1:]
    with np.errstate(all="ignore"):  # a candidate factor may be inf or nan somewhere
        for label, f in factors:
            if f.shape[1] not in (1, rows) or f.shape[2] not in (1, cols):
                continue
            if np.allclose(f, 1.0) or np.allclose(f, 0.0):
                continue
            if f.shape == truth.shape and close(f, truth):
                continue  # the factor is the answer itself: "missing relu'(z)" says nothing
            if close(truth, claim * f):
                return Finding(
                    "missing_factor",
                    f"missing a factor of {label}: {target} is your claim times {label}",
                    factor=label,
                )
            if close(claim, truth * f):
                return Finding(
                    "extra_factor",
                    f"an extra factor of {label}: your claim is {target} times {label}",
                    factor=label,
                )
        return None
