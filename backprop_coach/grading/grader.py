"""Grade a claimed gradient: numerically, at many points of the domain, with the truth computed by
reverse-mode differentiation of the problem's own graph (expr.tensor); then, for a claim the
numbers accept, confirmed symbolically inside a small budget where that is cheap. A symbolic
failure never makes a claim wrong by itself: only disagreeing numbers do, and they come with a
counterexample. SymPy is imported only to print a formula or to prove one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from backprop_coach.expr.algebra import BuildLog, shape_text
from backprop_coach.expr.errors import ExprError, LimitError, ShapeError
from backprop_coach.expr.parse import DOMAINS, Parsed, parse
from backprop_coach.expr.problem import CONVENTIONALLY_POSITIVE, LOSS_NAMES, Problem
from backprop_coach.expr.tensor import Op, Points, zeros
from backprop_coach.expr.tree import Call, Node, to_latex, to_text, walk
from backprop_coach.grading.budget import OutOfTime, cpu_budget
from backprop_coach.grading.diagnosis import (
    ATOL,
    RTOL,
    Finding,
    agree,
    close,
    constant_ratio,
    factor_relation,
    nice_number,
    terms_slack,
    tolerance,
    transposed,
    unsettled,
)
from backprop_coach.grading.sampling import wide_range
from backprop_coach.grading.setting import Setting, literals, setting_for
from backprop_coach.grading.slips import domain_hint, missing_transpose, wrong_argument
from backprop_coach.grading.verdict import (
    CORRECT,
    INCORRECT,
    Counterexample,
    Forms,
    Reading,
    Verdict,
    invalid,
)

LISTED_ENTRIES = 8  # wrong entries named in the message (all of them in details)
POINTS = 64  # enough that a wrong piece of a piecewise claim is almost never missed
MIN_POINTS = 8
SYMBOLIC_BUDGET = 0.25  # seconds
SYMBOLIC_MAX_OPS = 120


def check(
    problem: Problem,
    claim_text: str,
    seed: int = 0,
    fmt: str = "auto",
    display: bool = True,
    truth: bool | None = None,
) -> Verdict:
    """Build the problem and grade one claim; bad input becomes an `invalid` verdict. Without
    `display` (JSON) the pretty and LaTeX forms are not built; `truth` (by default as
    `display`) says whether the verdict carries the truth as text (SymPy's, the slow part)."""
    try:
        setting = setting_for(problem)
    except ExprError as err:
        return invalid(f"problem: {err}")
    return grade(setting, claim_text, seed, fmt=fmt, display=display, truth=truth)


def grade(
    setting: Setting,
    claim_text: str,
    seed: int = 0,
    compare: dict[str, str] | None = None,
    quantities: frozenset[str] | None = None,
    reference: str | None = None,
    fmt: str = "auto",
    forbid: Collection[str] = (),
    display: bool = True,
    truth: bool | None = None,
    target_name: str = "the true gradient",
) -> Verdict:
    """Grade a claim against the setting's true gradient (or against `reference`, another
    expression, when given; `target_name` is what the messages call it). `compare` maps labels to other expressions (known mistakes, a
    previous attempt); those the claim equals at every sample point are listed in
    Verdict.matches. `quantities` lets Leibniz terms dL/da be read (step checking).
    `forbid` names functions the claim may not use ("sigmoid'" for σ'): such a claim is
    invalid, so that a question cannot be answered by its own notation. `display` adds the
    printed forms of the claim and the truth (Verdict.forms); `truth` (by default as
    `display`) puts the truth's text in the verdict (otherwise it is "")."""
    if quantities is None:  # a Leibniz term dL/da is recognised, to say it is no answer
        quantities = frozenset([*setting.scope.values, *LOSS_NAMES])
    try:
        parsed = parse(claim_text, quantities, fmt)
    except ExprError as err:
        return invalid(str(err))
    used = _forbidden(parsed.tree, forbid)
    if used is not None:
        return invalid(
            f"this question asks for that derivative itself: express it without {used} "
            "(in terms of the function's value or its argument)",
            to_text(parsed.tree),
        )
    log = BuildLog()

    def reading(implicit: bool) -> Reading:
        notes = dict.fromkeys([*setting.notes, *log.notes])  # each once, the problem's first
        return Reading(
            setting.problem.wrt, shape_text(setting.wrt_shape), setting.loss_read_as,
            dict(setting.lets_read_as), tuple(notes), implicit,
        )  # fmt: skip

    truth_forms = _truth_forms(setting) if display else None
    if truth_forms is not None:
        truth_text = truth_forms[0]
    else:
        truth_text = _truth_text(setting) if (display if truth is None else truth) else ""
    try:
        claim = setting.build(parsed.tree, log)
    except ShapeError as err:
        forms = Forms(truth_forms[1], truth_forms[2]) if truth_forms is not None else None
        return Verdict(
            INCORRECT,
            "shape_error",
            f"the claim itself does not conform: {err.message}",
            log.echo(parsed.tree),
            truth_text,
            reading=reading(False),  # the failing product has no reading to show
            forms=forms,
        )
    except ExprError as err:
        return invalid(str(err), to_text(parsed.tree))
    read_as = log.echo(parsed.tree)
    forms = None
    if truth_forms is not None:  # the forms a person reads
        claim_pretty, claim_latex = _claim_forms(setting, parsed, claim, log)
        forms = Forms(truth_forms[1], truth_forms[2], claim_pretty, claim_latex)

    target = setting.truth
    if reference is not None:
        try:
            target = setting.build(parse(reference, quantities, fmt).tree)
        except ExprError as err:
            return invalid(f"the reference does not build: {err}", read_as)
    if claim.const == 0 and target.shape is not None:  # a plain 0 is the zero of any shape
        claim = zeros(target.shape)
    try:
        # the wide draws reach beyond every number of the problem and of the claim: a claim
        # wrong only past a threshold it writes itself (relu(abs(w) − 9)) is seen there too
        points = _points(setting, seed, wide_range([*setting.literals, *literals([parsed.tree])]))
    except LimitError as err:
        return invalid(str(err), read_as)
    claim_v, truth_v = _exact_where_floats_overflow(
        setting, claim, target, points.values(claim), points.values(target), points
    )
    slack, proved = None, False
    checked = np.zeros(points.size, bool)  # points already decided in exact arithmetic
    same_shape = claim_v.shape == truth_v.shape
    if not (same_shape and close(claim_v, truth_v)):  # only then: it costs
        # the float noise of the truth's own terms (an exact zero that cancels terms of size 1)
        truth_terms = points.magnitudes(target)
        slack = terms_slack(truth_terms)
        if same_shape and not close(claim_v, truth_v, slack):
            # the claim's noise may only count when SymPy proves the claim equal, or exact
            # arithmetic shows it: a claim must never widen its own tolerance
            # (x + 1e8*(x+1)^2 - 1e8*(x^2+2x+1) is x, but x + 1 + 1e8*(...) - 1e8*(...) is not)
            noisy = terms_slack(truth_terms + points.magnitudes(claim))
            # a claim that overflows in floats (exp(300z)/(1 + exp(300z))) may still be exact
            overflows = not np.isfinite(claim_v).all()
            if overflows or close(claim_v, truth_v, noisy):
                if reference is None and _prove(setting, parsed.tree) == PROVED:
                    slack, proved = noisy, True
                    claim_v = truth_v  # proved equal: its float overflow is no difference
                else:
                    unclear = np.asarray(~agree(claim_v, truth_v, slack).all(axis=(1, 2)))
                    exact = _exact_agreement(
                        setting, target, claim, points, unclear, claim_v, truth_v
                    )
                    if exact is not None and exact.disagree is None:
                        claim_v = truth_v  # equal in exact arithmetic at every such point
                        checked = unclear
    finding = _diagnose(setting, claim_v, truth_v, points, slack, target_name)
    if finding.at is not None:
        finding = _sharpen(finding, setting, claim, target, points, claim_v, truth_v)
    if finding.code is None:
        outcome = PROVED if proved or reference is not None else _prove(setting, parsed.tree)
        proved = proved or (reference is None and outcome == PROVED)
        if outcome == REFUTED:  # below the tolerance, but SymPy sees a constant difference
            finding = Finding(
                "wrong",
                f"wrong: your claim differs from {target_name} by a nonzero constant "
                "(too small for the numbers to show; SymPy's difference is a number, not 0)",
            )
        doubtful = None
        if not proved:
            terms = (points.magnitudes(claim), points.magnitudes(target))
            doubtful = unsettled(claim_v, truth_v, *terms) & ~checked
        if finding.code is None and doubtful is not None and doubtful.any():
            # the floats agree only within a rounding error (the truth's: 1e20·(1 − tanh²(1e20·w))
            # is 0 ± 1e4; or the claim's: (10^20 + w) − 10^20 is 0): decide it exactly there
            exact = _exact_agreement(setting, target, claim, points, doubtful, claim_v, truth_v)
            if exact is None:
                return invalid(
                    "cannot be decided: the claim and the gradient differ by less than their "
                    "rounding error in floating point, and exact arithmetic ran out of time",
                    read_as,
                )
            if exact.disagree is not None:
                p, mine, exact_truth = exact.disagree
                claim_v, truth_v = claim_v.copy(), truth_v.copy()
                claim_v[p], truth_v[p] = mine, exact_truth  # the exact values where they differ
                finding = _counterexample(setting, claim_v, truth_v, points, None, target_name)
    if finding.code == "wrong":  # the classic slips, searched for only when nothing else fits
        finding = (
            wrong_argument(setting, parsed.tree, truth_v, points, points.magnitudes(target))
            or missing_transpose(
                setting, parsed.tree, truth_v, points, points.magnitudes(target)
            )
            or domain_hint(setting, parsed.tree, claim, target, reference, seed, points.size)
            or finding
        )
    matches = tuple(
        label for label, text in (compare or {}).items() if _same(setting, text, claim_v, points)
    )
    common: dict[str, Any] = {
        "reading": reading(parsed.implicit),
        "forms": forms,
        "claim_shape": shape_text(claim.shape),
        "points": points.size,
        "matches": matches,
    }
    if finding.code is None:
        # a proof is of equality with the truth; against another reference the numbers decide
        method = "symbolic" if proved else "numeric"
        how = "proved symbolically" if proved else f"agrees at all {points.size} sampled points"
        message = f"correct: equals ∂L/∂{setting.problem.wrt} ({how})"
        return Verdict(CORRECT, None, message, read_as, truth_text, method=method, **common)
    return Verdict(
        INCORRECT, finding.code, finding.message, read_as, truth_text,
        counterexample=finding.counterexample, factor=finding.factor, domain=finding.domain,
        wrote_meant=finding.wrote_meant, **common,
    )  # fmt: skip


def _truth_text(setting: Setting) -> str:
    """The truth as text (SymPy's); a problem too large for SymPy says its shape instead."""
    printed = setting.printed
    if printed is None:
        return f"{shape_text(setting.wrt_shape)}, too large to print symbolically"
    return printed.text


def _truth_forms(setting: Setting) -> tuple[str, str, str | None]:
    """The truth as text, pretty and LaTeX (None when too large to print symbolically)."""
    printed = setting.printed
    if printed is None:
        text = _truth_text(setting)
        return text, text, None
    return printed.text, printed.pretty, printed.latex


def _claim_forms(
    setting: Setting, parsed: Parsed, claim: Op, log: BuildLog
) -> tuple[str | None, str]:
    """The claim's pretty form (a scalar claim, in SymPy) and its LaTeX (from the tree)."""
    from backprop_coach.grading.sympy_world import pretty

    symbolic = setting.symbolic
    claim_pretty = None
    if claim.shape is None and symbolic is not None:
        try:
            claim_pretty = pretty(symbolic.display(symbolic.build(parsed.tree)))
        except ExprError:  # a Leibniz term has no SymPy form: the echo shows the claim
            pass
    elementwise = r"\odot" if setting.problem.shapes else r"\cdot"
    return claim_pretty, to_latex(parsed.tree, elementwise, log.readings)


def _forbidden(tree: Node, forbid: Collection[str]) -> str | None:
    """How the first forbidden function the tree uses is written (σ', tanh'), or None."""
    if not forbid:
        return None
    for node in walk(tree):
        if isinstance(node, Call):
            key = node.func + ("'" if node.prime else "")
            if key in forbid:
                shown = "σ" if node.func == "sigmoid" else node.func
                return shown + ("'" if node.prime else "")
    return None


def _same(setting: Setting, text: str, claim_v: np.ndarray, points: Points) -> bool:
    """Whether another expression takes the claim's values at every sample point."""
    try:
        other = setting.build(parse(text).tree)
    except ExprError:
        return False
    other_v = points.values(other)
    return other_v.shape == claim_v.shape and close(claim_v, other_v)


def _points(setting: Setting, seed: int, wide: float | None = None) -> Points:
    """Sample points where the loss and its gradient are finite (`wide`: Setting.draw's)."""
    rng = np.random.default_rng(seed)
    tried = 0
    for size in (POINTS * 2, POINTS * 20):
        points = setting.draw(size, rng, wide=wide)
        tried += size
        ok = np.isfinite(setting.loss_values(points))
        ok &= np.isfinite(points.values(setting.truth)).all(axis=(1, 2))
        if ok.sum() >= POINTS or (size > POINTS * 2 and ok.sum() >= MIN_POINTS):
            return points.subset(np.flatnonzero(ok)[:POINTS])
    raise LimitError(
        f"the loss is undefined at almost every sampled point ({int(ok.sum())} of {tried} valid); "
        f"check the domains (--domain NAME={'|'.join(DOMAINS[1:])})"
    )


def _diagnose(
    setting: Setting,
    claim: np.ndarray,
    truth: np.ndarray,
    points: Points,
    slack: np.ndarray | None = None,
    target: str = "the true gradient",
) -> Finding:
    wrt = setting.problem.wrt
    if claim.shape != truth.shape:
        if transposed(claim, truth, slack):
            return Finding("transposed", f"transposed: the transpose of your claim is ∂L/∂{wrt}")
        c_shape = shape_text(None if claim.shape[1:] == (1, 1) else claim.shape[1:])
        t_shape = shape_text(setting.wrt_shape)
        return Finding(
            "shape_mismatch",
            f"shape mismatch: your claim is {c_shape} but ∂L/∂{wrt} has the shape of {wrt}, {t_shape}",
        )
    if close(claim, truth, slack):
        return Finding(None, "correct")
    if close(claim, -truth, slack):
        return Finding("sign_flip", f"sign flipped: your claim is the negative of {target}")
    if claim.shape[1] == claim.shape[2] and claim.shape[1] > 1 and transposed(claim, truth, slack):
        return Finding("transposed", f"transposed: the transpose of your claim is ∂L/∂{wrt}")
    k = constant_ratio(claim, truth)
    if k is not None and abs(k + 1.0) > 1e-9:
        shown = nice_number(k)
        return Finding(
            "constant_factor",
            f"off by a constant factor: your claim is {shown} times {target}",
            factor=shown,
        )
    factors = [(f.label, points.values(f.value)) for f in setting.factors]
    found = factor_relation(claim, truth, factors, target)
    if found is not None:
        return found
    return _counterexample(setting, claim, truth, points, slack, target)


def _counterexample(
    setting: Setting,
    claim: np.ndarray,
    truth: np.ndarray,
    points: Points,
    slack: np.ndarray | None,
    target: str = "the true gradient",
) -> Finding:
    ok = agree(claim, truth, slack)
    bad_points = np.flatnonzero(~ok.all(axis=(1, 2)))
    # a point where λ, η and ε are positive, as a learner pictures them, when there is one
    usual = [
        q for q in bad_points
        if all(points.arrays[n][q].min() > 0 for n in setting.primaries
               if n in CONVENTIONALLY_POSITIVE)
    ]  # fmt: skip
    p = int(usual[0] if usual else bad_points[0])
    point = {name: _plain(np.round(points.arrays[name][p], 6)) for name in setting.primaries}
    # the quantities a learner computes on the way (z, a, δ), to compare with their own
    lets = {
        name: _plain(points.values(value)[p])
        for name, value in setting.world.lets.items()
        if name not in point
    }
    message = f"wrong: your claim differs from {target}"
    entries: list[str] = []
    if truth.shape[1:] != (1, 1):
        wrong = np.argwhere(~ok.all(axis=0))
        entries = [f"[{i},{j}]" if truth.shape[2] > 1 else f"[{i}]" for i, j in wrong]
        total = truth.shape[1] * truth.shape[2]
        listed = ", ".join(entries[:LISTED_ENTRIES]) + (
            ", …" if len(entries) > LISTED_ENTRIES else ""
        )
        message += f" in {len(entries)} of {total} entries ({listed})"
    example = Counterexample(
        point,
        _plain(_denoise(claim[p], slack, p)),
        _plain(_denoise(truth[p], slack, p)),
        lets,
        tuple(entries),
    )
    return Finding("wrong", message, counterexample=example, at=p)


SHOWN_RTOL = 1e-9  # the counterexample prints 9 significant digits


def _sharpen(
    finding: Finding,
    setting: Setting,
    claim: Op,
    target: Op,
    points: Points,
    claim_v: np.ndarray,
    truth_v: np.ndarray,
) -> Finding:
    """The finding with its counterexample's values from exact arithmetic where float
    rounding could change the digits shown (w + (1e16 + 1) − 1e16 is 0.0 in floats and w + 1
    exactly): the verdict was decided already; this is what the learner reads."""
    p, example = finding.at, finding.counterexample
    if p is None or example is None:
        return finding
    rounding = np.finfo(float).eps * 4
    doubtful = False
    for graph, values in ((claim, claim_v), (target, truth_v)):
        error = points.magnitudes(graph)[p] * rounding
        if values.shape[1:] == error.shape and (error > SHOWN_RTOL * np.abs(values[p])).any():
            doubtful = True
    if not doubtful:
        return finding
    which = np.zeros(points.size, bool)
    which[p] = True
    exact = _exact_values(setting, [claim, target], points, which)
    if exact is None:
        return finding
    shown = []
    for graph, value in ((claim, exact[0]), (target, exact[1])):
        # an exact zero of cancelling terms is zero, not its 50-digit rounding (1e-51)
        noise = points.magnitudes(graph)[p] * EXACT_RTOL
        number = _as_float(value)[0]
        if number.shape == noise.shape:
            number = np.where(np.abs(number) <= noise, 0.0, number)
        shown.append(_plain(number))
    return replace(finding, counterexample=replace(example, claim=shown[0], truth=shown[1]))


def _denoise(a: np.ndarray, slack: np.ndarray | None, p: int) -> np.ndarray:
    """Float noise of an exact zero (within the terms' slack at point p) shown as 0."""
    if slack is None:
        return a
    return np.where(np.abs(a) <= np.broadcast_to(slack, (slack.shape[0], *a.shape))[p], 0.0, a)


def _plain(a: np.ndarray) -> object:
    """A value at one point as JSON: a number, a vector as a flat list, a matrix as rows."""

    def plain(v: float) -> float:
        return float(f"{float(v):.9g}") + 0.0  # 9 significant digits; + 0.0: never -0.0

    if a.shape == (1, 1):
        return plain(a[0, 0])
    if a.ndim == 2 and a.shape[1] == 1:
        return [plain(v) for v in a[:, 0]]
    return [[plain(v) for v in row] for row in a]


EXACT_BUDGET = 2.0  # seconds of CPU for exact re-evaluation
EXACT_POINTS = 16  # for a large problem: the most suspicious doubtful points, evaluated exactly
EXACT_RTOL = 1e-40  # the rounding error of EXACT_DIGITS-digit arithmetic, with room


def _exact_where_floats_overflow(
    setting: Setting,
    claim: Op,
    target: Op,
    claim_v: np.ndarray,
    truth_v: np.ndarray,
    points: Points,
) -> tuple[np.ndarray, np.ndarray]:
    """Claim and truth values, with both taken from exact arithmetic (rounded to floats) at the
    points where either overflows in floats (0·exp(1000), exp(1000)/exp(999); in step checking
    the previous line is the truth), so that the comparison and every diagnosis see what the
    claim is."""
    overflow = ~(np.isfinite(claim_v).all(axis=(1, 2)) & np.isfinite(truth_v).all(axis=(1, 2)))
    if not overflow.any():
        return claim_v, truth_v
    exact = _exact_values(setting, [claim, target], points, overflow)
    if exact is None:
        return claim_v, truth_v
    claim_v, truth_v = claim_v.copy(), truth_v.copy()
    claim_v[overflow] = _as_float(exact[0])
    truth_v[overflow] = _as_float(exact[1])
    return claim_v, truth_v


def _exact_values(
    setting: Setting, graphs: list[Op], points: Points, which: np.ndarray
) -> list[np.ndarray] | None:
    """The graphs' values at the points `which` (boolean), evaluated from the same draws in
    EXACT_DIGITS-digit arithmetic (object arrays of mpmath numbers); None when that arithmetic
    fails or runs out of its CPU budget."""
    import mpmath

    from backprop_coach.expr.tensor import EXACT_DIGITS

    keep = np.flatnonzero(which)
    drawn = Points({n: points.arrays[n][keep] for n in setting.primaries}, len(keep))
    try:
        with cpu_budget(EXACT_BUDGET), mpmath.workdps(EXACT_DIGITS):
            there = setting.bind_wrt(drawn.exact())
            return [there.values(graph) for graph in graphs]
    except (OutOfTime, ArithmeticError, ValueError, TypeError, RecursionError):
        return None


@dataclass
class Exact:
    """The outcome of exact re-evaluation: `disagree` is None when claim and target agree at
    every point checked, else (point index, claim value, target value) at the first point
    where they differ (values rounded to floats, shaped (rows, cols))."""

    disagree: tuple[int, np.ndarray, np.ndarray] | None


def _exact_agreement(
    setting: Setting,
    target: Op,
    claim: Op,
    points: Points,
    doubtful: np.ndarray,
    claim_v: np.ndarray,
    truth_v: np.ndarray,
) -> Exact | None:
    """Whether claim and target agree at the doubtful points when the same graphs are evaluated
    in EXACT_DIGITS-digit arithmetic from the same draws (expr.tensor.exact), by the grader's
    tolerance plus EXACT_RTOL of the target's terms (never of the claim's); None when that
    arithmetic fails or runs out of budget. Every doubtful point is evaluated for a problem of
    SymPy's size; for a larger one the EXACT_POINTS most suspicious (the largest gap for its
    tolerance), where a real difference shows."""
    with np.errstate(all="ignore"):
        ratio = np.nan_to_num(
            np.abs(claim_v - truth_v) / np.maximum(tolerance(claim_v, truth_v), 1e-300), nan=np.inf
        ).max(axis=(1, 2))
    order = np.flatnonzero(doubtful)
    cap = len(doubtful) if setting.symbolic_size else EXACT_POINTS
    order = order[np.argsort(-ratio[order], kind="stable")][:cap]
    which = np.zeros(len(doubtful), bool)
    which[order] = True
    keep = np.flatnonzero(which)
    values = _exact_values(setting, [target, claim], points, which)
    if values is None:
        return None
    import mpmath

    from backprop_coach.expr.tensor import EXACT_DIGITS

    truth, mine = values
    allowance = EXACT_RTOL * points.magnitudes(target)[keep]
    try:
        with mpmath.workdps(EXACT_DIGITS):  # the difference too, at the working precision
            gap = np.abs(mine - truth)
        size = np.abs(truth)
        scale = np.maximum(np.abs(mine), size).max(axis=(1, 2), keepdims=True)
        limit = np.maximum(np.maximum(RTOL * size, ATOL * scale), allowance)
        finite = np.vectorize(lambda v: bool(mpmath.isfinite(v)), otypes=[bool])
        # an infinite or undefined value never agrees (its scale would be infinite too)
        ok = ((gap <= limit) & finite(mine) & finite(truth)).all(axis=(1, 2))
    except (ArithmeticError, ValueError, TypeError):
        return None
    if ok.all():
        return Exact(None)
    first = int(np.flatnonzero(~ok)[0])
    return Exact((int(keep[first]), _as_float(mine[first]), _as_float(truth[first])))


def _as_float(exact: np.ndarray) -> np.ndarray:
    """Exact values rounded to floats (beyond the float range: ±inf, without a warning)."""
    with np.errstate(all="ignore"):
        return np.vectorize(float, otypes=[float])(exact)


def _exponential_identity(entry: Any) -> bool:
    """Whether `entry` is 0 as a rational function of exponentials: with tanh, cosh, sinh and
    sech written as exponentials, each exp(c1·m1 + c2·m2 + ...) (rational c, monomials m)
    becomes t1^c1 · t2^c2 ··· for positive symbols t = exp(m), and `cancel` then decides
    exactly (any other function stays an opaque generator, which keeps the proof sound). This
    is how tanh'(z) = 1 − tanh² = 4/(e^z + e^−z)² is seen in milliseconds, where `simplify`
    runs out of time."""
    import sympy as sp

    expr = entry.rewrite(sp.exp)
    powers: dict[Any, Any] = {}
    mapping = {}
    for atom in expr.atoms(sp.exp):
        factor = sp.Integer(1)
        for term in sp.Add.make_args(sp.expand(atom.args[0])):
            coeff, monomial = term.as_coeff_Mul()
            if not coeff.is_Rational:
                return False
            if monomial == 1:
                factor *= sp.E**coeff
                continue
            if monomial not in powers:
                powers[monomial] = sp.Dummy("t", positive=True)
            factor *= powers[monomial] ** coeff
        mapping[atom] = factor
    if not mapping:
        return False
    return bool(sp.cancel(sp.together(expr.xreplace(mapping))) == 0)


PROVED, REFUTED, UNKNOWN = "proved", "refuted", "unknown"


def _prove(setting: Setting, claim: Node) -> str:
    """PROVED when SymPy confirms claim − truth == 0 within the budget; REFUTED when their
    difference expands to a nonzero number (a constant offset too small for the numbers);
    UNKNOWN otherwise (and always for a problem too large to handle symbolically)."""
    symbolic = setting.symbolic
    if symbolic is None:
        return UNKNOWN
    import sympy as sp

    from backprop_coach.expr.symbolic import KINKED, rewrite_exp

    try:
        value = symbolic.build(claim)
    except ExprError:
        return UNKNOWN
    truth = symbolic.truth
    if value == 0 and isinstance(truth, sp.MatrixBase):  # a plain 0 is the zero of any shape
        value = sp.ImmutableMatrix.zeros(*truth.shape)
    diff = symbolic.expand_wrt(value - truth)
    if symbolic.sums_to_one:  # a target that sums to one: p − y is exact there
        diff = diff.xreplace(symbolic.sums_to_one)
    entries = list(diff) if isinstance(diff, sp.MatrixBase) else [diff]
    try:
        with cpu_budget(SYMBOLIC_BUDGET):
            for entry in entries:
                if entry == 0:
                    continue
                entry = rewrite_exp(entry)
                if sp.count_ops(entry) > SYMBOLIC_MAX_OPS:
                    return UNKNOWN
                expanded = sp.expand(entry)
                if expanded.is_number and expanded.is_zero is False and expanded.is_finite:
                    return REFUTED  # claim − truth is a constant: 1e-30 is not 0
                if expanded == 0 or sp.cancel(sp.together(entry)) == 0:
                    continue
                if _exponential_identity(entry):
                    continue
                if entry.has(*KINKED):  # opaque to simplify: what cancel could not, it cannot
                    return UNKNOWN
                if sp.simplify(entry) != 0:
                    return UNKNOWN
        return PROVED
    except (OutOfTime, RecursionError, TypeError, ValueError, AttributeError):
        return UNKNOWN
