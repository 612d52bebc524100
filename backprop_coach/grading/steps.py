"""Step-by-step derivations: every line is checked against the truth (`correct`) and against the
learner's previous line (`follows`), so one slip is named once and does not hide the rest
(error carried forward). Leibniz terms dL/da, da/dz, ∂z/∂w mean the derivatives of the named
quantities, each with everything upstream of its denominator held fixed."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from backprop_coach.expr import tensor
from backprop_coach.expr.algebra import Scope, shape_text
from backprop_coach.expr.errors import ExprError, NameError_
from backprop_coach.expr.parse import parse
from backprop_coach.expr.problem import LOSS_NAMES, Problem, declared_names, primary_names
from backprop_coach.expr.tensor import Op
from backprop_coach.expr.tree import Deriv
from backprop_coach.grading.grader import grade
from backprop_coach.grading.setting import Setting, build_setting
from backprop_coach.grading.verdict import CORRECT, INVALID


@dataclass
class StepResult:
    step: int
    text: str
    correct: bool
    follows: bool
    diagnosis: str | None
    message: str
    read_as: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "text": self.text,
            "correct": self.correct,
            "follows": self.follows,
            "diagnosis": self.diagnosis,
        }


@dataclass
class StepsReport:
    wrt: str
    steps: list[StepResult]
    error: str | None = None  # the problem itself is invalid
    not_checked: int = 0  # steps left when the time budget ran out (the first ones are checked)

    @property
    def first_wrong_step(self) -> int | None:
        """The first line that reads but is wrong (a line that cannot be read is `invalid`)."""
        return next(
            (s.step for s in self.steps if not s.correct and s.diagnosis != "invalid"), None
        )

    @property
    def invalid_steps(self) -> list[int]:
        """Lines that do not parse or build, each reported on its own line."""
        return [s.step for s in self.steps if s.diagnosis == "invalid"]

    @property
    def unfinished(self) -> bool:
        """The last line still has Leibniz terms: the chain rule written, not worked out."""
        return not self.not_checked and bool(self.steps) and "∂" in self.steps[-1].read_as

    @property
    def exit_code(self) -> int:
        if self.error or self.not_checked or any(s.diagnosis == "invalid" for s in self.steps):
            return 2
        done = self.steps and all(s.correct for s in self.steps) and not self.unfinished
        return 0 if done else 1

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "steps": [s.to_json() for s in self.steps],
            "first_wrong_step": self.first_wrong_step,
            "invalid_steps": self.invalid_steps,
            "unfinished": self.unfinished,
        }
        if self.error:
            data["error"] = self.error
        if self.not_checked:
            data["not_checked"] = self.not_checked
        return data


def split_steps(text: str) -> tuple[str | None, list[str]]:
    """A derivation as lines: `dL/dw = A` then `= B`, `= C`. Returns the left-hand side of the
    first line (the quantity derived, if written) and the steps."""
    lhs: str | None = None
    steps: list[str] = []
    for number, raw in enumerate(text.splitlines()):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pieces = [p.strip() for p in line.split("=")]
        if not steps and lhs is None and not line.startswith("=") and len(pieces) > 1:
            lhs = pieces[0]
            pieces = pieces[1:]
        elif line.startswith("="):
            pieces = pieces[1:]
        if any(not p for p in pieces):
            raise ExprError(f"line {number + 1}: an empty side of '='")
        steps.extend(pieces)
    return lhs, steps


class _Leibniz:
    """Values of Leibniz terms: ∂num/∂den with den standing as a leaf of its own, everything
    downstream rebuilt on it, and the derivative taken in reverse mode where the leaf holds
    den's value (expr.tensor.jacobian)."""

    def __init__(self, problem: Problem, setting: Setting) -> None:
        self.problem = problem
        self.setting = setting  # where to sample when a term's kind must be seen
        self.lets = dict(problem.lets)
        self.trees = {n: parse(t).tree for n, t in problem.lets}
        self.loss = parse(problem.loss).tree
        self.cache: dict[tuple[str, str], Op] = {}
        self.plain = self._values(None)

    def names(self) -> frozenset[str]:
        return frozenset(self.plain) | frozenset(LOSS_NAMES)

    def _values(self, den: str | None) -> dict[str, Op]:
        """Every name's value, in order, with den (if given) standing as a leaf of its own."""
        order = primary_names(
            [*self.trees.values(), self.loss], self.lets, declared_names(self.problem)
        )
        shapes = self.problem.shapes
        values: dict[str, Op] = {
            n: tensor.leaf(n, None if shapes.get(n, (1, 1)) == (1, 1) else shapes[n]) for n in order
        }
        stand_in = None
        if den is not None:
            stand_in = tensor.leaf(_STAND_IN + den, self.plain[den].shape)
            if den in values:
                values[den] = stand_in
        for name, tree in self.trees.items():
            values[name] = (
                stand_in if name == den and stand_in else tensor.build(tree, Scope(values))
            )
        values["__loss__"] = tensor.build(self.loss, Scope(values))
        return values

    def __call__(self, num: str, den: str, col: int) -> Op:
        key = (num, den)
        if key not in self.cache:
            self.cache[key] = self._derivative(num, den, col)
        return self.cache[key]

    def _derivative(self, num: str, den: str, col: int) -> Op:
        target = "__loss__" if num in LOSS_NAMES and num not in self.plain else num
        known = ", ".join(n for n in self.plain if n != "__loss__")
        if target not in self.plain:
            raise NameError_(
                f"∂{num}/∂{den}: unknown quantity {num}; known: L (the loss), {known}", col
            )
        if den not in self.plain or den == "__loss__":
            raise NameError_(f"∂{num}/∂{den}: unknown quantity {den}; known: {known}", col)
        actual = self.plain[den]
        rebuilt = self._values(den)
        value, stand_in = rebuilt[target], rebuilt[den]
        num_shape, den_shape = value.shape, actual.shape
        if den_shape is not None and num_shape is not None and num_shape != den_shape:
            raise ExprError(
                f"∂{num}/∂{den} is a Jacobian between shapes {shape_text(num_shape)} and "
                f"{shape_text(den_shape)}; write the matrix form "
                "instead (e.g. δ @ x.T)",
                col,
            )
        if num_shape is not None and num_shape == den_shape and not self._diagonal(
            value, stand_in, actual
        ):
            raise ExprError(
                f"∂{num}/∂{den} is a full Jacobian: each entry of {num} depends on several "
                f"entries of {den}, so it is no elementwise factor; write the product it stands "
                f"for instead (for z = W @ x, ∂L/∂x = W.T @ ∂L/∂z)",
                col,
            )
        return tensor.jacobian(value, stand_in, actual)

    def _diagonal(self, value: Op, stand_in: Op, actual: Op) -> bool:
        """Whether ∂value/∂stand_in is diagonal (an elementwise relation such as a = σ(z)) at
        a few sampled points: every entry of value depends on its own entry only."""
        points = self.setting.draw(DIAGONAL_POINTS, np.random.default_rng(0))
        inner = points.with_values({stand_in.name: points.values(actual)})
        rows, cols = value.shape or (1, 1)
        for i in range(rows):
            for j in range(cols):
                seed = np.zeros((points.size, rows, cols))
                seed[:, i, j] = 1.0
                row = inner.gradient(value, stand_in.name, seed)
                own = np.abs(row[:, i, j])
                row[:, i, j] = 0.0
                if np.any(np.abs(row) > 1e-9 * (1.0 + own[:, None, None])):
                    return False
        return True


DIAGONAL_POINTS = 8
_STAND_IN = "∂"  # no name a learner can type starts with it


def check_steps(
    problem: Problem | None,
    text: str,
    wrt_given: bool = True,
    fmt: str = "auto",
    budget: float | None = None,
) -> StepsReport:
    """Grade a derivation. Without --wrt, the left-hand side `dL/dw` of the first line names it.
    With a `budget` (seconds), no step is started once it is spent: the steps checked so far
    are reported, and how many were not (`not_checked`)."""
    import time

    start = time.monotonic()
    try:
        lhs, lines = split_steps(text)
        if not lines:
            return StepsReport(
                "", [], error="no steps: write one step a line, e.g. dL/dw = (a - y)*x"
            )
        assert problem is not None
        if not wrt_given:
            wrt = _wrt_from(lhs, problem)
            problem = replace(problem, wrt=wrt)
        elif lhs is not None and _wrt_from(lhs, problem) != problem.wrt:
            raise ExprError(
                f"the first line derives {lhs.strip()}, but the problem asks for "
                f"∂L/∂{problem.wrt}: start with dL/d{problem.wrt} = ..."
            )
        setting = build_setting(problem)
        leibniz = _Leibniz(problem, setting)
    except ExprError as err:
        return StepsReport(problem.wrt if problem else "", [], error=str(err))
    quantities = leibniz.names()
    scoped = replace(
        setting, world=replace(setting.world, scope=Scope(setting.scope.values, derivative=leibniz))
    )
    results: list[StepResult] = []
    previous: str | None = None
    for number, step in enumerate(lines, start=1):
        if budget is not None and results and time.monotonic() - start > budget:
            return StepsReport(problem.wrt, results, not_checked=len(lines) - len(results))
        results.append(_grade_step(scoped, number, step, previous, quantities, fmt))
        if results[-1].diagnosis != "invalid":
            previous = step
    return StepsReport(problem.wrt, results)


# the left-hand side as textbooks write it: dL/dw, ∂L/∂W², \frac{\partial L}{\partial W^{(2)}}
_LHS = re.compile(
    r"\s*(?:\\frac\s*\{\s*(?:\\partial|d|∂)\s*([A-Za-z]\w*)\s*\}\s*\{\s*(?:\\partial|d|∂)\s*"
    r"(.+?)\s*\}|(?:d|∂)\s*([A-Za-z]\w*)\s*/\s*(?:d|∂)\s*(.+?))\s*"
)
_SUPER_SUB = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉", "01234567890123456789")


def _named_den(lhs: str, problem: Problem) -> str | None:
    r"""The name a textbook left-hand side differentiates by, as the problem spells it: W² and
    W^{(2)} and W_2 are W2, \delta^{(1)} is δ1; None when it names nothing of the problem."""
    from backprop_coach.expr.latex import GREEK as LATEX_GREEK

    m = _LHS.fullmatch(lhs)
    if m is None or (m.group(1) or m.group(3)) not in LOSS_NAMES:
        return None
    den = (m.group(2) or m.group(4)).translate(_SUPER_SUB)
    den = re.sub(r"\\([A-Za-z]+)", lambda g: LATEX_GREEK.get(g.group(1), g.group(0)), den)
    den = re.sub(r"\^\s*\{?\s*[(\[]?\s*(\d+)\s*[)\]]?\s*\}?$", r"\1", den)  # W^{(2)}
    den = re.sub(r"_\s*\{?\s*(\w+?)\s*\}?$", r"_\1", den).replace(" ", "")
    names = {n: n for n in (*declared_names(problem), *primary_names(
        [parse(problem.loss).tree, *(parse(t).tree for _, t in problem.lets)],
        dict(problem.lets), declared_names(problem),
    ))}  # fmt: skip
    return Scope(names).resolve(den)


def _wrt_from(lhs: str | None, problem: Problem) -> str:
    if lhs is None:
        raise ExprError("say what is derived: start with `dL/dw = ...`, or give --wrt")
    named = _named_den(lhs, problem)
    if named is not None:
        return named
    try:
        tree = parse(lhs, frozenset([*LOSS_NAMES, lhs.split("/")[-1].strip().lstrip("d∂ ")])).tree
    except ExprError:
        tree = None
    if not isinstance(tree, Deriv):
        raise ExprError(
            f"the first line should start with the derivative, e.g. dL/dw = ...; got {lhs!r}"
        )
    return tree.den


def _grade_step(
    setting: Setting,
    number: int,
    step: str,
    previous: str | None,
    quantities: frozenset[str],
    fmt: str,
) -> StepResult:
    truth = grade(setting, step, quantities=quantities, fmt=fmt, display=False)
    if truth.verdict == INVALID:
        return StepResult(number, step, False, False, "invalid", truth.message)
    read_as = truth.claim
    correct = truth.verdict == CORRECT
    if previous is None:
        follows, against = correct, truth
    else:
        against = grade(
            setting, step, quantities=quantities, reference=previous, fmt=fmt, display=False,
            target_name="your previous line",
        )  # fmt: skip
        follows = against.verdict == CORRECT
    diagnosis = None if follows or correct else against.diagnosis  # a correction is no new error
    if correct:
        message = "correct"
    elif follows:
        message = "follows from your previous line (carries its error)"
    else:
        message = against.message
    return StepResult(number, step, correct, follows, diagnosis, message, read_as)
