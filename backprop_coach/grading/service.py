"""Grading as the commands use it: every check runs in the sandbox with a time limit, and every
failure (bad input, time limit, crash) comes back as an `invalid` verdict with a clear message."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from typing import Any, TypeVar

from backprop_coach.expr.errors import ExprError
from backprop_coach.grading import grader
from backprop_coach.grading.problem import Problem, problem_from_specs
from backprop_coach.grading.sandbox import Sandbox, SandboxCrash, SandboxTimeout
from backprop_coach.grading.verdict import Verdict, invalid

DEFAULT_TIMEOUT = 5.0
T = TypeVar("T")


def run(
    box: Sandbox,
    fn: Callable[..., T],
    args: tuple[Any, ...],
    timeout: float,
    failed: Callable[[str], T] = invalid,  # type: ignore[assignment]
) -> T:
    """fn(*args) in the sandbox; a time limit or a crash becomes failed(message)."""
    try:
        return box.call(fn, args, timeout)
    except SandboxTimeout:
        return failed(
            f"time limit hit: gave up after {timeout:g} s (the input is too expensive to decide; "
            "--timeout raises the limit)"
        )
    except SandboxCrash as err:
        return failed(f"could not check this input: {err}")


def check_claim(
    problem: Problem,
    claim: str,
    at: dict[str, Fraction] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    box: Sandbox | None = None,
    fmt: str = "auto",
) -> Verdict:
    """Grade one claim (symbolic, or a number at one point when `at` is given)."""
    own = box is None
    box = box or Sandbox()
    try:
        if at:
            return run(box, grader.check_number, (problem, claim, at), timeout)
        return run(box, grader.check, (problem, claim, 0, fmt), timeout)
    finally:
        if own:
            box.close()


def check_batch(
    cases: Iterable[tuple[int, str]], timeout: float = DEFAULT_TIMEOUT
) -> Iterator[dict[str, Any]]:
    """One JSON result per JSONL line, in order, each echoing its id. Lines are (number, text)."""
    import json

    with Sandbox() as box:
        for number, line in cases:
            if not line.strip():
                continue
            case_id: object = None
            try:
                case = json.loads(line)
                if not isinstance(case, dict):
                    raise ValueError("a case is a JSON object")
                case_id = case.get("id")
                problem = problem_from_specs(
                    _text(case, "loss"),
                    _text(case, "wrt"),
                    _texts(case, "let"),
                    _texts(case, "shape"),
                    _texts(case, "domain"),
                )
                verdict = check_claim(problem, _text(case, "claim"), None, timeout, box)
            except (ValueError, ExprError) as err:
                verdict = invalid(f"line {number}: {err}")
            yield {"id": case_id, **verdict.to_json()}


def _text(case: dict[str, Any], key: str) -> str:
    value = case.get(key)
    if not isinstance(value, str):
        raise ValueError(f"field {key!r} must be a string")
    return value


def _texts(case: dict[str, Any], key: str) -> list[str]:
    value = case.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f'field {key!r} must be a list of strings such as ["z=w*x+b"]')
    return value
