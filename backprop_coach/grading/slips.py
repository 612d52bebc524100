"""The classic slips that are neither a sign, a factor nor a transpose, each found by searching
for the one change that makes the claim right:

- `wrong_argument`: one quantity put in place of another (σ'(a) written for σ'(z); tanh's
  1 − z² for 1 − a²): the claim with that one occurrence replaced equals the truth.
- `domain`: the claim is right only where a name is more special than the problem says (softmax
  with cross-entropy gives p − y only for a target that sums to one).

Both are decided numerically at the grader's sample points, like every verdict.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from backprop_coach.expr.errors import ExprError
from backprop_coach.expr.parse import DOMAINS, parse
from backprop_coach.expr.tensor import Op, Points
from backprop_coach.expr.tree import (
    COMPARISONS,
    BinOp,
    Call,
    Name,
    Neg,
    Node,
    Transpose,
    to_text,
    walk,
)
from backprop_coach.grading.diagnosis import Finding, agree, close, unsettled
from backprop_coach.grading.setting import Setting

MAX_SWAPS = 120  # candidate claims tried for a wrong argument
# a slip is named from the points float rounding settles, when they are at least this share
# (saturated tanh and softmax entries leave a truth of 0 ± its rounding at many points)
SETTLED_SHARE = 4
MASKS = ("step", "sign")
# each special case before the more general one it is part of; binary (a mask) is no assumption
# a learner simplifies with
STRICTER = tuple(d for d in DOMAINS[1:] if d != "binary")
DOMAIN_WORDS = {
    "onehot": "one-hot",
    "simplex": "a probability vector (entries positive, summing to 1)",
    "onehot_rows": "one-hot in every row",
    "simplex_rows": "a probability vector in every row",
    "unit": "between 0 and 1",
    "positive": "positive",
}


def _occurrences(tree: Node) -> list[tuple[Name, Call | None]]:
    """Every name in the tree, in order, with the call it is an argument of (if any). Names
    inside a mask (a comparison, step, sign) are left out: swapping one there can make the mask
    constant at every sample point, which is no slip a learner makes."""
    found: list[tuple[Name, Call | None]] = []

    def visit(node: Node, call: Call | None) -> None:
        match node:
            case Name():
                found.append((node, call))
            case Neg(operand) | Transpose(operand):
                visit(operand, call)
            case BinOp(op, left, right):
                if op not in COMPARISONS:
                    visit(left, call)
                    visit(right, call)
            case Call(func, args, _):
                if func not in MASKS:
                    for arg in args:
                        visit(arg, node)

    visit(tree, None)
    return found


def _replaced(tree: Node, target: Name, new: str) -> Node:
    """The tree with the one Name object `target` renamed to `new`."""
    match tree:
        case Name():
            return Name(new, tree.col) if tree is target else tree
        case Neg(operand):
            return Neg(_replaced(operand, target, new))
        case Transpose(operand):
            return Transpose(_replaced(operand, target, new))
        case BinOp(op, left, right):
            return BinOp(op, _replaced(left, target, new), _replaced(right, target, new))
        case Call(_, args, _):
            return replace(tree, args=tuple(_replaced(a, target, new) for a in args))
    return tree


def wrong_argument(
    setting: Setting,
    tree: Node,
    truth: np.ndarray,
    points: Points,
    truth_terms: np.ndarray,
) -> Finding | None:
    """The one name occurrence that, replaced by another name of the same shape, makes the claim
    equal the truth beyond doubt (diagnosis.unsettled: float rounding cannot hide it); None when
    there is none (or too many candidates to try). `truth_terms`: the truth's magnitudes."""
    scope = setting.scope
    shapes = {name: value.shape for name, value in scope.values.items()}
    tried = 0
    for occurrence, call in _occurrences(tree):
        wrote = scope.resolve(occurrence.id)
        if wrote is None:
            continue
        for meant, shape in shapes.items():
            if meant == wrote or shape != shapes[wrote]:
                continue
            tried += 1
            if tried > MAX_SWAPS:
                return None
            try:
                value = setting.build(_replaced(tree, occurrence, meant))
            except ExprError:
                continue
            candidate = points.values(value)
            if (
                candidate.shape == truth.shape
                and close(candidate, truth)
                and (~_doubtful(candidate, truth, points.magnitudes(value), truth_terms)).sum()
                >= points.size // SETTLED_SHARE
            ):
                return _argument_finding(occurrence.id, meant, call)
    return None


def missing_transpose(
    setting: Setting,
    tree: Node,
    truth: np.ndarray,
    points: Points,
    truth_terms: np.ndarray,
) -> Finding | None:
    """The one square matrix written W where Wᵀ belongs (or Wᵀ where W does) whose transpose
    makes the claim equal the truth beyond doubt: W (a − y) for Wᵀ(a − y) with a square W, which
    shapes alone cannot catch. None when there is none."""
    shapes = {name: value.shape for name, value in setting.scope.values.items()}
    for node in walk(tree):
        fixed: Node
        if isinstance(node, Transpose) and isinstance(node.operand, Name):
            name, fixed = node.operand.id, node.operand
        elif isinstance(node, Name):
            name, fixed = node.id, Transpose(node)
        else:
            continue
        key = setting.scope.resolve(name)
        shape = shapes.get(key) if key is not None else None
        if shape is None or shape[0] != shape[1] or shape[0] < 2:
            continue
        try:
            value = setting.build(_swapped(tree, node, fixed))
        except ExprError:
            continue
        candidate = points.values(value)
        if (
            candidate.shape == truth.shape
            and close(candidate, truth)
            and (~_doubtful(candidate, truth, points.magnitudes(value), truth_terms)).sum()
            >= points.size // SETTLED_SHARE
        ):
            wrote, meant = to_text(node), to_text(fixed)
            return Finding(
                "transposed",
                f"a transpose is off: you wrote {wrote} where {meant} belongs; with {meant} "
                "there your claim is right",
                wrote_meant=(wrote, meant),
            )
    return None


def _swapped(tree: Node, target: Node, new: Node) -> Node:
    """The tree with the one node object `target` replaced by `new`."""
    if tree is target:
        return new
    match tree:
        case Neg(operand):
            return Neg(_swapped(operand, target, new))
        case Transpose(operand):
            return Transpose(_swapped(operand, target, new))
        case BinOp(op, left, right):
            return BinOp(op, _swapped(left, target, new), _swapped(right, target, new))
        case Call(_, args, _):
            return replace(tree, args=tuple(_swapped(a, target, new) for a in args))
    return tree


def _doubtful(
    candidate: np.ndarray, truth: np.ndarray, terms: np.ndarray, truth_terms: np.ndarray
) -> np.ndarray:
    """Points where a candidate agrees with the truth only as far as float rounding can tell
    (diagnosis.unsettled); a slip is named from the other points, and only when they are most."""
    return unsettled(candidate, truth, terms, truth_terms) & agree(candidate, truth).all(
        axis=(1, 2)
    )


def _argument_finding(wrote: str, meant: str, call: Call | None) -> Finding:
    where = ""
    if call is not None:
        written = to_text(call)
        fixed = to_text(_replaced(call, _first_named(call, wrote), meant))
        where = f" ({written} should be {fixed})"
    return Finding(
        "wrong_argument",
        f"wrong argument: you used {wrote} where {meant} belongs{where}; with {meant} there "
        "your claim is right",
        wrote_meant=(wrote, meant),
    )


def _first_named(node: Node, name: str) -> Name:
    for occurrence, _ in _occurrences(node):
        if occurrence.id == name:
            return occurrence
    raise LookupError(name)  # pragma: no cover - the call contains the name


def _candidates(shape: tuple[int, int] | None) -> list[str]:
    """The stricter domains that make sense for a value of this shape."""
    if shape is None or max(shape) == 1:
        return ["positive", "unit"]
    if 1 in shape:  # a vector: its distribution runs along it
        return [d for d in STRICTER if not d.endswith("_rows")]
    return list(STRICTER)


def _shorter(setting: Setting, claim: Node, reference: str | None) -> bool:
    """Whether the claim has fewer operations than the truth (or the reference), counted by
    SymPy on both: an assumption simplifies, so a domain hint needs the shorter form."""
    import sympy as sp

    def ops(value: object) -> int:
        entries = list(value) if isinstance(value, sp.MatrixBase) else [value]
        return sum(int(sp.count_ops(e)) for e in entries)

    symbolic = setting.symbolic
    if symbolic is None:
        return False  # no hint where SymPy cannot count (a large problem)
    try:
        mine = symbolic.build(claim)
        target = symbolic.truth if reference is None else symbolic.build(parse(reference).tree)
    except ExprError:
        return False
    return ops(mine) < ops(target)


def domain_hint(
    setting: Setting,
    tree: Node,
    claim: Op,
    target: Op,
    reference: str | None,
    seed: int,
    size: int,
) -> Finding | None:
    """A name (with no declared domain) that, drawn from a stricter domain, makes the claim
    equal the truth; None when no such name and domain exist. Only a claim shorter than the
    truth qualifies: p − y is what the cross-entropy gradient simplifies to when y sums to one,
    while δ·Σx, right when x happens to sum to one, is no simplification but a slip (counted in
    SymPy, and only once the numbers found a domain)."""
    # fresh points for each stricter domain, four times the grader's: a hint claims that the
    # whole domain works, so it must see that domain's edges
    rng = np.random.default_rng(seed + 1)
    size *= 4
    for name, value in setting.primaries.items():
        shape = value.shape
        declared = setting.problem.domains.get(name)
        if declared is not None:
            # only onehot or simplex declared on a matrix has a stricter reading left: every
            # column one-hot, where a batch in the row layout wants onehot_rows
            is_matrix = shape is not None and min(shape) > 1
            if not (is_matrix and declared in ("onehot", "simplex")):
                continue
            kinds = [declared + "_rows"]
        elif name == setting.problem.wrt:
            kinds = ["positive"]  # about the variable differentiated, only its sign (L1's sign(w))
        else:
            kinds = _candidates(shape)
        works = []
        for kind in kinds:
            points = setting.draw(size, rng, {name: kind})
            truth = points.values(target)
            mine = points.values(claim)
            if truth.shape != mine.shape:
                return None
            # where the truth itself is undefined (log of an underflowed p) there is no verdict,
            # as in the grader's own sampling; a share of the points must be left
            ok = np.isfinite(truth).all(axis=(1, 2))
            # no float-error slack: a slip is named only where the numbers show it plainly
            # (within the truth's rounding error, 5 would "equal" 1e20·sech²(1e20·w)), and
            # not where the truth is within its own rounding error of zero (1 − tanh²(w + 30))
            ok &= ~_doubtful(mine, truth, points.magnitudes(claim), points.magnitudes(target))
            if ok.sum() >= size // SETTLED_SHARE and close(mine[ok], truth[ok]):
                works.append(kind)
        if not works:
            continue
        if not _shorter(setting, tree, reference):
            return None
        kind = works[0]
        words = DOMAIN_WORDS[kind]
        if kind == "onehot" and "simplex" in works:
            words = "one-hot (or any probability vector: it only has to sum to 1)"
        if kind == "onehot_rows" and "simplex_rows" in works:
            words = "one-hot in every row (or any probability vector: each row has to sum to 1)"
        said = (
            f"; --domain {name}={declared} makes every column one, and for a batch of rows "
            f"use --domain {name}={kind}"
            if declared is not None
            else f", which the problem does not say: if it is, add --domain {name}={kind}"
        )
        return Finding(
            "domain",
            f"correct only if {name} is {words}{said}",
            domain=(name, kind),
        )
    return None
