"""`check --at`: a number a learner worked out by hand, judged against the true gradient at one
point. The truth is computed exactly there (SymPy, 40 digits: no float noise, a kink such as
step(0) judged at the kink) and the number by the one rule for a learner's numbers
(grading.rounding). A claim that is an expression of numbers, the point's names and the lets
(`sigmoid(0.5)^2*(1 - sigmoid(0.5))`, `(a - y)*a*(1 - a)*x`) is compared exactly."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from backprop_coach.expr.algebra import Scope
from backprop_coach.expr.errors import ExprError
from backprop_coach.expr.parse import parse, parse_number
from backprop_coach.expr.problem import Problem
from backprop_coach.expr.symbolic import build, exact_fraction, is_exactly_zero
from backprop_coach.expr.tensor import Points
from backprop_coach.grading.diagnosis import terms_slack
from backprop_coach.grading.rounding import judge
from backprop_coach.grading.setting import Setting, setting_for
from backprop_coach.grading.sympy_world import SymbolicSetting
from backprop_coach.grading.verdict import CORRECT, INCORRECT, Verdict, invalid


def check_number(problem: Problem, claim_text: str, point: dict[str, Fraction]) -> Verdict:
    """Grade a number (or an exact expression) for ∂L/∂wrt at `point`; bad input (a name
    without a value, a matrix, too few significant figures) is an `invalid` verdict."""
    try:
        setting = setting_for(problem)
    except ExprError as err:
        return invalid(str(err), claim_text)
    problem_with_point = _check_point(setting, point)
    if problem_with_point is not None:
        return invalid(problem_with_point, claim_text)
    symbolic = setting.symbolic  # None: SymPy has no truth cheaply, the floats judge
    exact, truth_expr, truth = {}, None, None
    if symbolic is not None:
        exact = _exact_point(symbolic, point)
        truth_expr = symbolic.truth.xreplace(exact)
        truth = exact_fraction(truth_expr)
    noise = Fraction(0)  # an exact truth has no float error
    if truth is None:  # SymPy cannot evaluate it: numpy, with the float noise of its terms
        as_float, noise_float = _float_truth(setting, point)
        if not np.isfinite(as_float):
            return invalid("the gradient is too large or undefined at that point", claim_text)
        truth, noise = Fraction(as_float), Fraction(noise_float)
    what = f"∂L/∂{problem.wrt}"
    facts: dict[str, Any] = {"truth_value": float(truth), "points": 1}
    try:
        if "x" in setting.scope.values and re.search(r"\bx\b", claim_text):
            # 1.5 x 10^2 where x is a name of the problem: the product, not scientific notation
            raise ExprError("an expression")
        given = parse_number(claim_text, "--claim")
    except ExprError:
        if symbolic is None or truth_expr is None:
            return invalid(
                "--at compares an expression with the exact gradient, which is too expensive "
                "to build for this problem; give the number",
                claim_text,
            )
        return _check_expression(symbolic, claim_text, exact, truth_expr, truth, what, facts)
    shown = _shown(truth, given.figures)
    try:
        judged = judge(given, truth, what, noise)
    except ExprError as err:
        return invalid(str(err), claim_text)
    facts["unit"] = float(given.unit)
    if judged.correct:
        message = f"correct: {what} = {shown} at that point; {claim_text} is it correctly rounded"
        return Verdict(CORRECT, None, message, claim_text, shown, **facts)
    message = f"{judged.message} ({what} = {shown} at that point)"
    return Verdict(INCORRECT, judged.code, message, claim_text, shown, **facts)


def _check_point(setting: Setting, point: dict[str, Fraction]) -> str | None:
    """What is wrong with the point for this problem, or None."""
    if setting.wrt_shape is not None:
        return "--at checks one number; --wrt must be a scalar"
    matrices = [n for n, v in setting.primaries.items() if v.shape is not None]
    if matrices:
        return f"--at works with scalar names only ({', '.join(matrices)} are matrices)"
    missing = [n for n in setting.primaries if n not in point]
    if missing:
        return f"--at needs a value for every name; missing: {', '.join(missing)}"
    extra = [n for n in point if n not in setting.primaries]
    if extra:
        return f"--at {extra[0]}: not a name of the problem (names: {', '.join(setting.primaries)})"
    return None


def _exact_point(setting: SymbolicSetting, point: dict[str, Fraction]) -> dict[sp.Basic, sp.Expr]:
    """Each primary symbol (and a let wrt's symbol) -> its exact value at the point."""
    exact: dict[sp.Basic, sp.Expr] = {
        setting.world.primaries[n]: sp.Rational(v.numerator, v.denominator)
        for n, v in point.items()
    }
    world = setting.world
    if world.wrt_definition is not None:
        exact[world.wrt_value] = world.wrt_definition.xreplace(exact)
    return exact


def _float_truth(setting: Setting, point: dict[str, Fraction]) -> tuple[float, float]:
    """The truth in float64 at the point, and its float noise (terms slack)."""
    arrays = {n: np.full((1, 1, 1), float(point[n])) for n in setting.primaries}
    points = setting.bind_wrt(Points(arrays, 1))
    truth = float(points.values(setting.truth)[0, 0, 0])
    noise = float(terms_slack(points.magnitudes(setting.truth))[0, 0, 0])
    return truth, noise


def _shown(value: Fraction, figures: int) -> str:
    """The truth to a few more significant figures than the learner gave."""
    digits = max(min(figures, 30), 4) + 1
    return str(sp.Float(sp.Rational(value.numerator, value.denominator), digits))


def _check_expression(
    setting: SymbolicSetting,
    claim_text: str,
    exact: dict[sp.Basic, sp.Expr],
    truth_expr: sp.Expr,
    truth: Fraction,
    what: str,
    facts: dict[str, Any],
) -> Verdict:
    """An exact expression: equal to the truth when SymPy sees their difference is 0 (not
    merely below float precision: 1 + exp(-200) is not 1)."""
    values = {name: value.xreplace(exact) for name, value in setting.world.scope.values.items()}
    try:
        value = build(parse(claim_text).tree, Scope(values))
    except ExprError as err:
        return invalid(
            f"--claim with --at is a number, or an expression of numbers and names: {err}",
            claim_text,
        )
    if isinstance(value, sp.MatrixBase):
        return invalid("--at checks one number; the claim is a matrix", claim_text)
    number = exact_fraction(value)
    if number is None:
        return invalid(
            "the claim is not a real number of hand-sized magnitude (below 1e300) at that point",
            claim_text,
        )
    shown, mine = _shown(truth, 10), _shown(number, 15)
    if is_exactly_zero(value - truth_expr):
        message = f"correct: {what} = {shown} at that point, exactly as your expression"
        return Verdict(CORRECT, None, message, claim_text, shown, **facts)
    if is_exactly_zero(value + truth_expr):
        message = f"sign flipped: your expression is {mine}, {what} = {shown} at that point"
        return Verdict(INCORRECT, "sign_flip", message, claim_text, shown, **facts)
    gap = sp.Float((value - truth_expr).evalf(3, maxn=600), 3)
    message = (
        f"wrong: your expression is {mine}, {what} = {shown} at that point (they differ by {gap})"
    )
    return Verdict(INCORRECT, "wrong", message, claim_text, shown, **facts)
