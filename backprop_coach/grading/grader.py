"""Grade a claimed gradient: numerically first, at many points of the domain, then confirmed
symbolically inside a small budget where that is cheap. A symbolic failure never makes a claim
wrong by itself: only disagreeing numbers do, and they come with a counterexample.
"""

from __future__ import annotations

import signal
from collections.abc import Collection, Iterator
from contextlib import contextmanager

import numpy as np
import sympy as sp

from backprop_coach.expr.errors import ExprError, LimitError, ShapeError
from backprop_coach.expr.parse import DOMAINS, parse
from backprop_coach.expr.symbolic import (
    BuildLog,
    build,
    free_entries,
    rewrite_exp,
    shape_of,
    shape_text,
)
from backprop_coach.expr.tree import Call, Node, to_latex, to_text, walk
from backprop_coach.grading.diagnosis import (
    Finding,
    agree,
    close,
    constant_ratio,
    factor_relation,
    nice_number,
    terms_slack,
    transposed,
)
from backprop_coach.grading.problem import Problem, Setting, build_setting, pretty
from backprop_coach.grading.slips import domain_hint, wrong_argument
from backprop_coach.grading.verdict import CORRECT, INCORRECT, Verdict, invalid

POINTS = 64  # enough that a wrong piece of a piecewise claim is almost never missed
MIN_POINTS = 8
SYMBOLIC_BUDGET = 0.25  # seconds
SYMBOLIC_MAX_OPS = 120
LOSS_NAMES = ("L", "E", "C", "J")  # what dL/dw may call the loss


def check(
    problem: Problem, claim_text: str, seed: int = 0, fmt: str = "auto", display: bool = True
) -> Verdict:
    """Build the problem and grade one claim; bad input becomes an `invalid` verdict. Without
    `display` (batch mode prints JSON only) the pretty and LaTeX forms are not built."""
    try:
        setting = build_setting(problem)
    except ExprError as err:
        return invalid(f"problem: {err}")
    return grade(setting, claim_text, seed, fmt=fmt, display=display)


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
) -> Verdict:
    """Grade a claim against the setting's true gradient (or against `reference`, another
    expression, when given). `compare` maps labels to other expressions (known mistakes, a
    previous attempt); those the claim equals at every sample point are listed in
    details["matches"]. `quantities` lets Leibniz terms dL/da be read (step checking).
    `forbid` names functions the claim may not use ("sigmoid'" for σ'): such a claim is
    invalid, so that a question cannot be answered by its own notation."""
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
    truth_display = setting.truth_display
    truth_text = str(truth_display)
    log = BuildLog()
    details: dict[str, object] = {
        "implicit": parsed.implicit,
        "wrt": setting.problem.wrt,
        "wrt_shape": shape_text(setting.wrt_shape),
        "notes": log.notes,
        "loss_read_as": setting.loss_read_as,
        "lets_read_as": setting.lets_read_as,
        "problem_notes": setting.notes,
    }
    try:
        claim = build(parsed.tree, setting.scope, log)
    except ShapeError as err:
        details["implicit"] = False  # the failing product has no reading to show
        if display:
            details["truth_pretty"] = setting.truth_pretty
        read_as = details["read_as"] = log.echo(parsed.tree)
        return Verdict(
            INCORRECT,
            "shape_error",
            f"the claim itself does not conform: {err.message}",
            read_as,
            truth_text,
            details,
        )
    except ExprError as err:
        return invalid(str(err), to_text(parsed.tree))
    read_as = details["read_as"] = log.echo(parsed.tree)
    if display:  # the forms a person reads (SymPy printing is a third of a check's time)
        details["truth_pretty"] = setting.truth_pretty
        if not isinstance(claim, sp.MatrixBase):
            details["claim_pretty"] = pretty(setting.display(claim))
        matrices = bool(setting.problem.shapes)
        elementwise = r"\odot" if matrices else r"\cdot"
        details["claim_latex"] = to_latex(parsed.tree, elementwise, log.readings)
        details["truth_latex"] = setting.truth_latex
    details["claim_shape"] = shape_text(shape_of(claim))

    target = setting.truth
    if reference is not None:
        try:
            target = build(parse(reference, quantities, fmt).tree, setting.scope)
        except ExprError as err:
            return invalid(f"the reference does not build: {err}", read_as)
    target_shape = shape_of(target)
    if claim == 0 and target_shape is not None:  # a plain 0 is the zero of any shape
        claim = sp.ImmutableMatrix.zeros(*target_shape)
    try:
        env, size = _points(setting, seed)
    except LimitError as err:
        return invalid(str(err), read_as)
    truth_v = setting.values(target, env, size)
    claim_v = setting.values(claim, env, size)
    slack, proved = None, False
    same_shape = claim_v.shape == truth_v.shape
    if not (same_shape and close(claim_v, truth_v)):  # only then: it costs
        # the float noise of the truth's own terms (an exact zero that cancels terms of size 1)
        truth_terms = setting.magnitudes(target, env, size)
        slack = terms_slack(truth_terms)
        if same_shape and not close(claim_v, truth_v, slack) and reference is None:
            # the claim's noise may only count when SymPy proves the claim equal: a claim must
            # never widen its own tolerance (x + 1e8*(x+1)^2 - 1e8*(x^2+2x+1) is not x)
            noisy = terms_slack(truth_terms + setting.magnitudes(claim, env, size))
            # a claim that overflows in floats (exp(300z)/(1 + exp(300z))) may still be exact
            overflows = not np.isfinite(claim_v).all()
            if (overflows or close(claim_v, truth_v, noisy)) and _prove(setting, claim):
                slack, proved = noisy, True
                claim_v = truth_v  # proved equal: its float overflow is no difference
    finding = _diagnose(setting, claim_v, truth_v, env, size, slack)
    if finding.code == "wrong":  # the classic slips, searched for only when nothing else fits
        finding = (
            wrong_argument(setting, parsed.tree, truth_v, env, size, slack)
            or domain_hint(setting, claim, target, seed, size)
            or finding
        )
    details["points"] = size
    details["matches"] = [
        label for label, text in (compare or {}).items() if _same(setting, text, claim_v, env, size)
    ]
    details.update(finding.extra)
    if finding.code is None:
        # a proof is of equality with the truth; against another reference the numbers decide
        proved = proved or (reference is None and _prove(setting, claim))
        details["method"] = "symbolic" if proved else "numeric"
        how = (
            "proved symbolically"
            if details["method"] == "symbolic"
            else f"agrees at all {size} sampled points"
        )
        message = f"correct: equals ∂L/∂{setting.problem.wrt} ({how})"
        return Verdict(CORRECT, None, message, read_as, truth_text, details)
    return Verdict(INCORRECT, finding.code, finding.message, read_as, truth_text, details)


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


def _same(
    setting: Setting, text: str, claim_v: np.ndarray, env: dict[sp.Symbol, np.ndarray], size: int
) -> bool:
    """Whether another expression takes the claim's values at every sample point."""
    try:
        other = build(parse(text).tree, setting.scope)
    except ExprError:
        return False
    other_v = setting.values(other, env, size)
    return other_v.shape == claim_v.shape and close(claim_v, other_v)


def _points(setting: Setting, seed: int) -> tuple[dict[sp.Symbol, np.ndarray], int]:
    """Sample points where the loss and its gradient are finite."""
    rng = np.random.default_rng(seed)
    tried = 0
    for size in (POINTS * 2, POINTS * 20):
        env = setting.draw(size, rng)
        tried += size
        ok = np.isfinite(setting.loss_values(env, size))
        ok &= np.isfinite(setting.values(setting.truth, env, size)).all(axis=(1, 2))
        if ok.sum() >= POINTS or (size > POINTS * 2 and ok.sum() >= MIN_POINTS):
            keep = np.flatnonzero(ok)[:POINTS]
            return {s: v[keep] for s, v in env.items()}, len(keep)
    raise LimitError(
        f"the loss is undefined at almost every sampled point ({int(ok.sum())} of {tried} valid); "
        f"check the domains (--domain NAME={'|'.join(DOMAINS[1:])})"
    )


def _diagnose(
    setting: Setting,
    claim: np.ndarray,
    truth: np.ndarray,
    env: dict[sp.Symbol, np.ndarray],
    size: int,
    slack: np.ndarray | None = None,
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
        return Finding("sign_flip", "sign flipped: your claim is the negative of the true gradient")
    if claim.shape[1] == claim.shape[2] and claim.shape[1] > 1 and transposed(claim, truth, slack):
        return Finding("transposed", f"transposed: the transpose of your claim is ∂L/∂{wrt}")
    k = constant_ratio(claim, truth)
    if k is not None and abs(k + 1.0) > 1e-9:
        shown = nice_number(k)
        return Finding(
            "constant_factor",
            f"off by a constant factor: your claim is {shown} times the true gradient",
            {"factor": shown},
        )
    factors = [(f.label, setting.values(f.value, env, size)) for f in setting.factors]
    found = factor_relation(claim, truth, factors)
    if found is not None:
        return found
    return _counterexample(setting, claim, truth, env, slack)


def _counterexample(
    setting: Setting,
    claim: np.ndarray,
    truth: np.ndarray,
    env: dict[sp.Symbol, np.ndarray],
    slack: np.ndarray | None,
) -> Finding:
    ok = agree(claim, truth, slack)
    bad_points = np.flatnonzero(~ok.all(axis=(1, 2)))
    p = int(bad_points[0])
    point = {}
    for name, value in setting.primaries.items():
        entries = [float(env[s][p]) for s in free_entries(value)]
        shape = value.shape if isinstance(value, sp.MatrixBase) else (1, 1)
        point[name] = _plain(np.round(np.array(entries).reshape(shape), 6))
    extra: dict[str, object] = {
        "counterexample": {
            "point": point,
            "claim": _plain(_denoise(claim[p], slack, p)),
            "truth": _plain(_denoise(truth[p], slack, p)),
        }
    }
    message = "wrong: your claim differs from the true gradient"
    if truth.shape[1:] != (1, 1):
        wrong = np.argwhere(~ok.all(axis=0))
        entries = [f"[{i},{j}]" if truth.shape[2] > 1 else f"[{i}]" for i, j in wrong]
        extra["wrong_entries"] = entries
        total = truth.shape[1] * truth.shape[2]
        message += f" in {len(entries)} of {total} entries ({', '.join(entries)})"
    return Finding("wrong", message, extra)


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


class _OutOfTime(Exception):
    pass


@contextmanager
def _budget(seconds: float) -> Iterator[None]:
    """Interrupt pure-Python SymPy work after `seconds` (the sandbox bounds everything else)."""

    def stop(signum: int, frame: object) -> None:
        raise _OutOfTime

    try:
        previous = signal.signal(signal.SIGALRM, stop)
    except ValueError:  # not the main thread: no budget, rely on the sandbox
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _prove(setting: Setting, claim: object) -> bool:
    """True when SymPy confirms claim - truth == 0 within the budget; False means 'not proved'."""
    diff = setting.expand_wrt(claim - setting.truth)  # type: ignore[operator]
    entries = list(diff) if isinstance(diff, sp.MatrixBase) else [diff]
    try:
        with _budget(SYMBOLIC_BUDGET):
            for entry in entries:
                if entry == 0:
                    continue
                entry = rewrite_exp(entry)
                if sp.count_ops(entry) > SYMBOLIC_MAX_OPS:
                    return False
                if sp.expand(entry) == 0 or sp.cancel(sp.together(entry)) == 0:
                    continue
                if sp.simplify(entry) != 0:
                    return False
        return True
    except (_OutOfTime, RecursionError, TypeError, ValueError, AttributeError):
        return False
