"""Grading as the commands use it: every check runs in the sandbox with a time limit, and every
failure (bad input, time limit, crash) comes back as an `invalid` verdict with a clear message."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from typing import Any, TypeVar

from backprop_coach.expr.errors import ExprError
from backprop_coach.expr.problem import (
    LOSS_NAMES,
    Problem,
    once,
    problem_from_specs,
    read_problem,
)
from backprop_coach.grading.sandbox import (
    Outcome,
    Pool,
    Sandbox,
    SandboxCrash,
    SandboxTimeout,
    Task,
)
from backprop_coach.grading.verdict import ERROR, Verdict, invalid

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
        return failed(_time_limit(timeout))
    except SandboxCrash as err:
        return failed(f"could not check this input: {err}")


def check_claim(
    problem: Problem,
    claim: str,
    at: dict[str, Fraction] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    box: Sandbox | None = None,
    fmt: str = "auto",
    display: bool = True,
    truth: bool | None = None,
) -> Verdict:
    """Grade one claim (symbolic, or a number at one point when `at` is given); `display`
    builds the forms a person reads (not needed for JSON), `truth` (by default as `display`)
    the truth's text. Input that does not parse is refused here, before numpy or SymPy is
    imported."""
    refused = _unreadable(problem, claim, fmt, bool(at))
    if refused is not None:
        return refused
    from backprop_coach.grading import grader
    from backprop_coach.grading.point import check_number

    own = box is None
    box = box or Sandbox()
    try:
        if at:
            return run(box, check_number, (problem, claim, at), timeout)
        return run(box, grader.check, (problem, claim, 0, fmt, display, truth), timeout)
    finally:
        if own:
            box.close()


def _unreadable(problem: Problem, claim: str, fmt: str, number: bool) -> Verdict | None:
    """The grader's own `invalid` verdict for a problem or claim that does not parse, or None."""
    from backprop_coach.expr.parse import parse

    try:
        _, let_trees, order = read_problem(problem)
    except ExprError as err:
        return invalid(str(err), claim) if number else invalid(f"problem: {err}")
    if number:
        return None  # a number at a point is read by its own rules (grading.point)
    try:
        parse(claim, frozenset([*order, *let_trees, *LOSS_NAMES]), fmt)
    except ExprError as err:
        return invalid(str(err))
    return None


BATCH_KEYS = (
    "id",
    "loss",
    "wrt",
    "claim",
    "let",
    "shape",
    "domain",
    "at",
    "input_format",
    "expect",
)


def check_batch(
    cases: Iterable[tuple[int, str]],
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int = 1,
    truth: bool = False,
) -> Iterator[dict[str, Any]]:
    """One JSON result per JSONL line, in order, each echoing its id. Lines are (number, text);
    blank lines and `#` comments are skipped. A line with an unknown key is invalid, naming the
    key (a typo such as "domains" must not silently change the problem); `at` checks a number
    at a point, as `check --at` (a list of "NAME=VALUE" or an object); `expect` is ignored (the
    corpus keeps its expected verdicts there). `jobs` workers grade at once (each in its own
    sandbox, results in order). With `truth`, each result carries the truth as text (SymPy's
    formula, the slow part); otherwise the key is left out."""
    from backprop_coach.grading import grader
    from backprop_coach.grading.point import check_number

    ids: list[object] = []

    def tasks() -> Iterator[Task | Outcome]:
        for number, line in cases:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            case: dict[str, Any] = {}
            try:
                case = _case(line)
                _known_keys(case)
                problem, claim, point, fmt = _read_case(case)
            except (ValueError, ExprError) as err:
                ids.append(case.get("id"))
                yield ("ok", invalid(f"line {number}: {err}"))
                continue
            ids.append(case.get("id"))
            if point:
                yield (check_number, (problem, claim, point))
            else:
                yield (grader.check, (problem, claim, 0, fmt, False, truth))

    with Pool(jobs) as pool:
        for index, (status, value) in enumerate(pool.map(tasks(), timeout)):
            verdict = value if status == "ok" else _failed(status, value, timeout)
            data = verdict.to_json()
            if not truth:
                del data["truth"]
            yield {"id": ids[index], **data}


def _failed(status: str, message: str, timeout: float) -> Verdict:
    if status == "timeout":
        return invalid(_time_limit(timeout))
    if status == "bug":  # the tool's fault, not the line's: said as such (exit 70 at the end)
        lines = message.strip().splitlines()
        said = lines[-1] if lines else "unknown error"
        return Verdict(ERROR, None, f"internal error: {said}; this is a bug, please report it", "", "")
    return invalid(f"could not check this input: {message}")


def _time_limit(timeout: float) -> str:
    return (
        f"time limit hit: gave up after {timeout:g} s (the input is too expensive to decide; "
        "--timeout raises the limit)"
    )


def _case(line: str) -> dict[str, Any]:
    """A JSONL line as a case object."""
    import json

    try:
        case = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON ({err.msg} at column {err.colno})") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if not isinstance(case, dict):
        raise ValueError("a case is a JSON object")
    return case


def _known_keys(case: dict[str, Any]) -> None:
    """Refuse a key that is not a batch key, with the nearest one (a typo must not silently
    change the problem)."""
    import difflib

    for key in case:
        if key not in BATCH_KEYS:
            close = difflib.get_close_matches(key, BATCH_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown key {key!r}{hint}; keys: {', '.join(BATCH_KEYS)}")


def _read_case(case: dict[str, Any]) -> tuple[Problem, str, dict[str, Fraction], str]:
    """The problem, claim, point (for `at`) and input format of a case."""
    from backprop_coach.expr.parse import INPUT_FORMATS, parse_point

    problem = problem_from_specs(
        _text(case, "loss"),
        _text(case, "wrt"),
        _texts(case, "let"),
        _texts(case, "shape"),
        _texts(case, "domain"),
    )
    point = once("at", [parse_point(spec) for spec in _points(case)])
    fmt = case.get("input_format", "auto")
    if fmt not in INPUT_FORMATS:
        raise ValueError(f"field 'input_format' is one of {', '.join(INPUT_FORMATS)}")
    return problem, _text(case, "claim"), point, fmt


def _points(case: dict[str, Any]) -> list[str]:
    """`at` as "NAME=VALUE" specs: from a list of them or from an object {"w": 0.5}."""
    value = case.get("at", [])
    if isinstance(value, dict):
        if not all(
            isinstance(v, int | float | str) and not isinstance(v, bool) for v in value.values()
        ):
            raise ValueError("field 'at' maps names to numbers, e.g. {\"w\": 0.5}")
        return [f"{name}={v}" for name, v in value.items()]
    return _texts(case, "at")


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
