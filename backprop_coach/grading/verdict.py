"""The result of grading one claim: frozen, typed values built once by the grader (and by the
bank for a question's feedback), read by the renderers and the session, never patched.
JSON-ready through `Verdict.to_json`, the contract of `check --json`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CORRECT, INCORRECT, INVALID = "correct", "incorrect", "invalid"
ERROR = "error"  # a bug of the tool while grading (batch lines only; elsewhere it is raised)

DIAGNOSES = (
    "sign_flip",
    "constant_factor",
    "missing_factor",
    "extra_factor",
    "transposed",
    "shape_mismatch",
    "shape_error",
    "wrong_argument",
    "rounding",
    "domain",
    "wrong",
)


@dataclass(frozen=True)
class Reading:
    """How the problem and the claim were read, echoed before the verdict: the loss and every
    let as built, the broadcasting notes of problem and claim (each once), and whether the claim
    had implicit products made explicit."""

    wrt: str
    wrt_shape: str  # "scalar" or "RxC"
    loss: str
    lets: dict[str, str]
    notes: tuple[str, ...] = ()
    implicit: bool = False


@dataclass(frozen=True)
class Forms:
    """What a person reads: the truth (and the claim) pretty-printed by SymPy and as LaTeX.
    `truth_latex` is None when the truth was too large to print symbolically (then
    `truth_pretty` says so); `claim_pretty` is given for scalar claims only."""

    truth_pretty: str
    truth_latex: str | None = None
    claim_pretty: str | None = None
    claim_latex: str | None = None


@dataclass(frozen=True)
class Counterexample:
    """A sample point where the claim and the truth differ: the primaries there (rounded to 6
    digits), the lets computed from them, and both values (numbers; vectors as flat lists,
    matrices as lists of rows). `wrong_entries` names every entry that differs ([i] or [i,j])."""

    point: dict[str, Any]
    claim: Any
    truth: Any
    lets: dict[str, Any] = field(default_factory=dict)
    wrong_entries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    verdict: str  # correct | incorrect | invalid
    diagnosis: str | None  # one of DIAGNOSES when incorrect
    message: str
    claim: str  # how the claim was read
    truth: str  # the true gradient (or value), as text
    method: str | None = None  # for a correct claim: "symbolic" (proved) or "numeric"
    reading: Reading | None = None  # once the problem was read
    forms: Forms | None = None  # when printed forms were asked for
    claim_shape: str | None = None
    points: int | None = None  # sample points the verdict rests on
    matches: tuple[str, ...] = ()  # labels of the reference forms the claim equals
    counterexample: Counterexample | None = None
    factor: str | None = None  # the missing or extra factor, or the constant factor
    domain: tuple[str, str] | None = None  # (name, domain) that would make the claim right
    wrote_meant: tuple[str, str] | None = None  # wrong_argument: what was used, what belongs
    # a bank question's layer
    feedback: str | None = None  # a listed mistake's feedback when the claim matches it
    same_as_previous: bool = False
    # numbers (check --at, numeric questions)
    truth_value: float | None = None
    formula: str | None = None
    unit: float | None = None  # half a unit of the given number's last digit

    @property
    def exit_code(self) -> int:
        return {CORRECT: 0, INCORRECT: 1, ERROR: 70}.get(self.verdict, 2)

    def to_json(self) -> dict[str, Any]:
        """verdict, diagnosis, message, claim (as read) and truth; for a correct claim, method
        ("symbolic" when proved, "numeric" when it agrees at every sample point); and, once the
        problem was read, loss_read_as, lets_read_as and the broadcasting notes of problem and
        claim."""
        data: dict[str, Any] = {
            "verdict": self.verdict,
            "diagnosis": self.diagnosis,
            "message": self.message,
            "claim": self.claim,
            "truth": self.truth,
        }
        if self.method is not None:
            data["method"] = self.method
        if self.reading is not None:
            data["loss_read_as"] = self.reading.loss
            data["lets_read_as"] = dict(self.reading.lets)
            data["notes"] = list(self.reading.notes)
        return data


def invalid(message: str, claim: str = "") -> Verdict:
    return Verdict(INVALID, None, message, claim, "")
