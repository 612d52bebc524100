"""The result of grading one claim: plain data, JSON-ready, rendered elsewhere."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CORRECT, INCORRECT, INVALID = "correct", "incorrect", "invalid"

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


@dataclass
class Verdict:
    verdict: str  # correct | incorrect | invalid
    diagnosis: str | None
    message: str
    claim: str  # how the claim was read
    truth: str  # the true gradient, as text
    # For renderers and scripting; not part of the JSON contract of `check --json`.
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return {CORRECT: 0, INCORRECT: 1}.get(self.verdict, 2)

    def to_json(self) -> dict[str, Any]:
        """verdict, diagnosis, message, claim (as read) and truth; for a correct claim, method
        ("symbolic" when proved, "numeric" when it agrees at every sample point); and, once the
        problem was read, loss_read_as, lets_read_as and the broadcasting notes of problem and
        claim."""
        data = asdict(self)
        details = data.pop("details")
        if "method" in details:
            data["method"] = details["method"]
        if "loss_read_as" in details:
            data["loss_read_as"] = details["loss_read_as"]
            data["lets_read_as"] = details["lets_read_as"]
            data["notes"] = broadcast_notes(details)
        return data


def invalid(message: str, claim: str = "") -> Verdict:
    return Verdict(INVALID, None, message, claim, "")


def broadcast_notes(details: dict[str, Any]) -> list[str]:
    """Where the problem and the claim broadcast a row or a column, each said once."""
    return list(dict.fromkeys([*details.get("problem_notes", []), *details.get("notes", [])]))
