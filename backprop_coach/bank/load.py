"""Find and load question files. Schema checks live here, in one place, and every error names
the file and the field. A malformed file is reported and skipped; the rest of the bank loads."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backprop_coach.bank.model import (
    FORMAT_VERSION,
    KINDS,
    NumericSpec,
    Question,
    Step,
    WrongAnswer,
)
from backprop_coach.engine.names import (
    ACTIVATION_NAMES,
    LOSS_NAMES,
    MAX_LAYERS,
    quantity_shape,
)
from backprop_coach.expr.errors import ExprError, SpecError
from backprop_coach.expr.functions import DIFFERENTIABLE, canonical_function
from backprop_coach.expr.parse import parse
from backprop_coach.expr.problem import Problem, problem_from_specs
from backprop_coach.expr.quantity import parse_quantity_claim
from backprop_coach.expr.tree import names
from backprop_coach.grading.verdict import DIAGNOSES
from backprop_coach.untrusted import (
    FileRefused,
    excerpt,
    os_reason,
    path_text,
    quoted,
    read_text_file,
)

ENV_BANK = "BACKPROP_COACH_BANK"
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_FILE_BYTES = 200_000
COMMON = {"format_version", "id", "topic", "difficulty", "kind", "prompt", "hints",
          "explanation", "tags", "source", "after"}  # fmt: skip
BY_KIND = {
    "derivation": {"loss", "wrt", "let", "shape", "domain", "answer", "wrong_answers", "forbid"},
    "numeric": {"network"},
    "concept": {"model_answer", "key_points"},
}


class BankError(Exception):
    """A problem with one question file, naming the file and field."""

    def __init__(self, path: Path, field_name: str | None, message: str) -> None:
        where = path_text(path) + (f": {field_name}" if field_name else "")
        super().__init__(f"{where}: {message}")
        self.path = path
        self.field = field_name
        self.message = message


@dataclass
class Bank:
    questions: list[Question] = field(default_factory=list)
    problems: list[BankError] = field(default_factory=list)  # skipped files

    def get(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    @property
    def topics(self) -> list[str]:
        return sorted({q.topic for q in self.questions})

    def select(
        self,
        topics: Sequence[str] = (),
        kind: str | None = None,
        difficulty: int | None = None,
    ) -> list[Question]:
        return [
            q
            for q in self.questions
            if (not topics or q.topic in topics)
            and (kind is None or q.kind == kind)
            and (difficulty is None or q.difficulty == difficulty)
        ]


def shipped_bank() -> Path:
    """The questions that come with the tool: inside the installed package (a wheel), or at the
    top of a source checkout (editable installs)."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "questions", package.parent / "questions"):
        if candidate.is_dir():
            return candidate
    return package / "questions"


def bank_dirs(extra: Iterable[Path] = ()) -> list[Path]:
    """The shipped bank, the learner's own (if any), then BACKPROP_COACH_BANK (a path list),
    then --bank directories."""
    from backprop_coach.paths import user_bank

    dirs = [shipped_bank()]
    if user_bank().is_dir():
        dirs.append(user_bank())
    env = os.environ.get(ENV_BANK, "")
    dirs += [Path(p) for p in env.split(os.pathsep) if p.strip()]
    dirs += list(extra)
    seen: list[Path] = []
    resolved: list[Path] = []
    for d in dirs:
        try:
            real = d.resolve()
        except (OSError, RuntimeError):  # a symlink loop: load_bank says so
            real = d
        if real not in resolved:
            seen.append(d)
            resolved.append(real)
    return seen


def load_bank(extra: Iterable[Path] = (), dirs: Sequence[Path] | None = None) -> Bank:
    bank = Bank()
    owner: dict[str, Path] = {}
    for directory in dirs if dirs is not None else bank_dirs(extra):
        try:
            paths = _question_files(directory)
        except BankError as err:
            bank.problems.append(err)
            continue
        for path in paths:
            try:
                question = load_question(path)
            except BankError as err:
                bank.problems.append(err)
                continue
            if question.id in owner:
                bank.problems.append(
                    BankError(
                        path,
                        "id",
                        f"duplicate id {question.id!r} (also in {path_text(owner[question.id])})",
                    )
                )
                continue
            owner[question.id] = path
            bank.questions.append(question)
    _check_after(bank)
    return bank


def _check_after(bank: Bank) -> None:
    """Every `after` names a loaded question and no chain of `after`s loops. A question that
    breaks this is reported (file and field `after`) and skipped, like any malformed file;
    skipping it may orphan a question that follows it, so this repeats until nothing changes."""
    while True:
        ids = {q.id for q in bank.questions}
        follows = {q.id: q.after for q in bank.questions if q.after is not None}
        bad: dict[str, str] = {}
        for q in bank.questions:
            if q.after is not None and q.after not in ids:
                bad[q.id] = f"unknown question id {quoted(q.after)}"
        for start in follows:
            chain = [start]
            while (nxt := follows.get(chain[-1])) is not None:
                if nxt == start:
                    bad.setdefault(start, "a cycle: " + " -> ".join([*chain, start]))
                    break
                if nxt in chain:
                    break  # a loop further on, reported from its own members
                chain.append(nxt)
        if not bad:
            return
        for q in bank.questions:
            if q.id in bad:
                bank.problems.append(BankError(q.path, "after", bad[q.id]))
        bank.questions = [q for q in bank.questions if q.id not in bad]


def _question_files(directory: Path) -> list[Path]:
    """The *.toml files under a bank directory, sorted. Raises BankError when the directory
    cannot be listed (not a directory, a symlink loop, a path too long, no permission)."""
    try:
        if not stat.S_ISDIR(directory.stat().st_mode):
            raise BankError(directory, None, "not a directory")
        # interviews/ holds chains of questions (bank/chains.py), not questions
        return sorted(p for p in directory.rglob("*.toml") if not _in_interviews(p, directory))
    except OSError as err:
        raise BankError(directory, None, f"cannot read: {os_reason(err)}") from None


def _in_interviews(path: Path, directory: Path) -> bool:
    return path.relative_to(directory).parts[0] == "interviews"


def load_question(path: Path) -> Question:
    """One question file. Raises BankError naming the file (and the field) when it cannot be
    read (only a regular file of at most MAX_FILE_BYTES is: a FIFO named *.toml is refused,
    never waited on), is not UTF-8 TOML, is nested too deeply or breaks the schema."""
    return parse_question(read_toml(path), path)


def read_toml(path: Path) -> dict[str, Any]:
    """A bank file's TOML. Raises BankError naming the file when it cannot be read (a regular
    file of at most MAX_FILE_BYTES), is not UTF-8 TOML or is nested too deeply."""
    try:
        text = read_text_file(path, MAX_FILE_BYTES)
    except FileRefused as err:
        raise BankError(path, None, err.reason) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise BankError(path, None, f"not valid TOML: {err}") from None
    except RecursionError:
        raise BankError(path, None, "not valid TOML: nested too deeply") from None


class _Fields:
    """Typed access to a question's fields; each failure names the field."""

    def __init__(self, data: dict[str, Any], path: Path) -> None:
        self.data, self.path = data, path

    def fail(self, name: str, message: str) -> BankError:
        return BankError(self.path, name, message)

    def text(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = self.data.get(name)
        if value is None and not required:
            return default
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, "missing or empty (expected text)")
        return value.strip()

    def texts(self, name: str, *, at_least: int = 0) -> tuple[str, ...]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(name, "expected a list of strings")
        if any(not v.strip() for v in value):
            raise self.fail(name, "contains an empty string")
        if len(value) < at_least:
            raise self.fail(name, f"needs at least {at_least} item(s)")
        return tuple(v.strip() for v in value)

    def integer(self, name: str, low: int, high: int) -> int:
        value = self.data.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(name, f"expected a whole number from {low} to {high}")
        return value


def parse_question(data: dict[str, Any], path: Path) -> Question:
    f = _Fields(data, path)
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise f.fail("format_version", f"expected {FORMAT_VERSION}, got {quoted(version)}")
    qid = f.text("id")
    if not ID_PATTERN.fullmatch(qid):
        raise f.fail("id", f"{quoted(qid)} is not kebab-case (lowercase letters, digits and -)")
    if path.stem != qid:
        raise f.fail("id", f"{quoted(qid)} must equal the file name ({quoted(path.stem)})")
    kind = f.text("kind")
    if kind not in KINDS:
        raise f.fail("kind", f"unknown {quoted(kind)}; known: {', '.join(KINDS)}")
    unknown = set(data) - COMMON - BY_KIND[kind]
    if unknown:
        raise f.fail(", ".join(sorted(unknown)), f"unknown field(s) for a {kind} question")
    topic = f.text("topic")
    if not ID_PATTERN.fullmatch(topic):
        raise f.fail("topic", f"{quoted(topic)} is not kebab-case")
    common: dict[str, Any] = {
        "id": qid,
        "topic": topic,
        "difficulty": f.integer("difficulty", 1, 3),
        "kind": kind,
        "prompt": f.text("prompt"),
        "hints": f.texts("hints", at_least=1),
        "explanation": _steps(f),
        "tags": f.texts("tags"),
        "source": f.text("source"),
        "path": path,
        "after": _after(f, qid),
    }
    if kind == "derivation":
        return Question(**common, **_derivation(f))
    if kind == "numeric":
        return Question(**common, numeric=_numeric(f))
    return Question(
        **common, model_answer=f.text("model_answer"), key_points=f.texts("key_points", at_least=2)
    )


def _after(f: _Fields, qid: str) -> str | None:
    """`after = "other-id"`: the question a new learner should see first. Whether that id
    exists (and that no chain loops) is checked once the whole bank is loaded."""
    if "after" not in f.data:
        return None
    after = f.text("after")
    if not ID_PATTERN.fullmatch(after):
        raise f.fail("after", f"{quoted(after)} is not a question id (kebab-case)")
    if after == qid:
        raise f.fail("after", "a question cannot come after itself")
    return after


def _steps(f: _Fields) -> tuple[Step, ...]:
    raw = f.data.get("explanation")
    if not isinstance(raw, list) or not raw:
        raise f.fail("explanation", "expected a non-empty list of steps")
    steps = []
    for i, item in enumerate(raw):
        where = f"explanation[{i}]"
        if isinstance(item, str) and item.strip():
            steps.append(Step(item.strip()))
        elif isinstance(item, dict) and isinstance(item.get("text"), str) and item["text"].strip():
            if set(item) - {"text", "expr"}:
                raise f.fail(where, "a step has only text and expr")
            expr = item.get("expr")
            if expr is not None and (not isinstance(expr, str) or not expr.strip()):
                raise f.fail(f"{where}.expr", "expected an expression")
            steps.append(Step(item["text"].strip(), expr.strip() if expr else None))
        else:
            raise f.fail(where, "expected text or {text = ..., expr = ...}")
    return tuple(steps)


def _derivation(f: _Fields) -> dict[str, Any]:
    try:
        problem = problem_from_specs(
            f.text("loss"), f.text("wrt"), f.texts("let"), f.texts("shape"), f.texts("domain")
        )
    except SpecError as err:  # the field at fault, named as the file names it
        raise f.fail(err.field or "loss/wrt/let/shape/domain", err.message) from None
    except ExprError as err:
        raise f.fail("loss/wrt/let/shape/domain", str(err)) from None
    _syntax(f, problem)
    answer = f.text("answer")
    _expression(f, "answer", answer)
    raw = f.data.get("wrong_answers")
    if not isinstance(raw, list) or len(raw) < 2:
        raise f.fail("wrong_answers", "list at least two common mistakes")
    wrong = []
    for i, item in enumerate(raw):
        where = f"wrong_answers[{i}]"
        if not isinstance(item, dict) or set(item) != {"answer", "diagnosis", "feedback"}:
            raise f.fail(where, "expected {answer, diagnosis, feedback}")
        if not all(isinstance(item[k], str) and item[k].strip() for k in item):
            raise f.fail(where, "answer, diagnosis and feedback must be non-empty text")
        if item["diagnosis"] not in DIAGNOSES:
            raise f.fail(
                f"{where}.diagnosis",
                f"unknown {quoted(item['diagnosis'])}; known: {', '.join(DIAGNOSES)}",
            )
        wrong.append(
            WrongAnswer(item["answer"].strip(), item["diagnosis"], item["feedback"].strip())
        )
    return {
        "problem": problem,
        "answer": answer,
        "wrong_answers": tuple(wrong),
        "forbid": _forbid(f),
    }


def _forbid(f: _Fields) -> tuple[str, ...]:
    """`forbid = ["sigmoid'", "tanh"]`: functions (with ' for their prime) an answer may not use,
    so that "derive dσ/dz" is not answered by σ'(z). Spellings are made canonical."""
    forbidden = []
    for i, text in enumerate(f.texts("forbid")):
        name, prime = text.removesuffix("'"), text.endswith("'")
        func = canonical_function(name)
        if func is None or (prime and func not in DIFFERENTIABLE):
            raise f.fail(
                f"forbid[{i}]",
                f"{quoted(text)} is not a function{' with a prime' if prime else ''}; known: "
                f"{', '.join(sorted(DIFFERENTIABLE))} (with '), or any function name",
            )
        forbidden.append(func + ("'" if prime else ""))
    return tuple(forbidden)


def _expression(f: _Fields, name: str, text: str) -> None:
    """Syntax is checked at load time (cheap); meaning is proved by `bank validate`."""
    try:
        parse(text)
    except ExprError as err:
        raise f.fail(name, str(err)) from None


def _syntax(f: _Fields, problem: Problem) -> None:
    _expression(f, "loss", problem.loss)
    used = {n.id for n in names(parse(problem.loss).tree)}
    for i, (name, text) in enumerate(problem.lets):
        _expression(f, f"let[{i}]", text)
        used |= {n.id for n in names(parse(text).tree)} | {name}
    if problem.wrt not in used:
        raise f.fail(
            "wrt",
            f"{quoted(problem.wrt)} is not a name in the loss or a let (names: {', '.join(sorted(used))})",
        )


def _ask(f: _Fields, ask: str, sizes: list[int], examples: int | None = None) -> None:
    """The asked quantity is one number that every variant of these sizes has, so the quiz can
    always ask it: a layer the network has, one index per dimension, each in range."""
    try:
        claim = parse_quantity_claim(f"{ask}=0")
    except ExprError:
        raise f.fail(
            "network.ask",
            f"{quoted(ask)} is not a quantity: expected one such as delta1[0], W2_new[1][0] or "
            "loss (names: loss, zL, aL, deltaL, dWL, dbL, WL_new, bL_new; L counts from 1)",
        ) from None
    try:
        shape = quantity_shape(claim.base, claim.layer, sizes, examples)
    except ValueError as err:
        raise f.fail("network.ask", str(err)) from None
    if len(claim.index) != len(shape):
        raise f.fail(
            "network.ask",
            f"{excerpt(ask)} must name one number: give {len(shape)} index(es) "
            f"({'x'.join(map(str, shape)) or 'none'})",
        )
    for i, size in zip(claim.index, shape, strict=True):
        if not 0 <= i < size:
            raise f.fail("network.ask", f"index {i} is out of range for size {size}")


def _numeric(f: _Fields) -> NumericSpec:
    net = f.data.get("network")
    if not isinstance(net, dict):
        raise f.fail("network", "expected a table with layers, activations, loss and ask")
    known = {
        "layers", "activations", "loss", "ask", "lr", "update_biases", "decimals", "figures",
        "examples",
    }  # fmt: skip
    if "tolerance" in net:
        raise f.fail(
            "network.tolerance",
            "replaced by figures (the significant figures the answer must carry, correctly "
            "rounded), e.g. figures = 3",
        )
    if set(net) - known:
        raise f.fail("network", f"unknown field(s): {', '.join(sorted(set(net) - known))}")
    sizes = net.get("layers")
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or not all(isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= 4 for s in sizes)
    ):
        raise f.fail(
            "network.layers", "expected sizes such as [2, 2, 1], each 1 to 4 (computable by hand)"
        )
    if len(sizes) - 1 > MAX_LAYERS:
        raise f.fail("network.layers", f"at most {MAX_LAYERS} layers ({MAX_LAYERS + 1} sizes)")
    acts = net.get("activations")
    if isinstance(acts, str):
        acts = [acts] * (len(sizes) - 1)
    if (
        not isinstance(acts, list)
        or len(acts) != len(sizes) - 1
        or any(a not in ACTIVATION_NAMES for a in acts)
    ):
        raise f.fail("network.activations", f"one per layer, from {', '.join(ACTIVATION_NAMES)}")
    if "softmax" in acts[:-1]:
        raise f.fail("network.activations", "softmax is allowed on the last layer only")
    loss = net.get("loss")
    if not isinstance(loss, str) or loss not in LOSS_NAMES:
        raise f.fail("network.loss", f"expected one of {', '.join(LOSS_NAMES)}")
    ask = net.get("ask")
    if not isinstance(ask, str) or not ask.strip():
        raise f.fail("network.ask", "expected a quantity such as delta1[0], W2_new[1][0] or loss")
    examples = net.get("examples")
    if examples is not None and (
        not isinstance(examples, int) or isinstance(examples, bool) or not 2 <= examples <= 4
    ):
        raise f.fail("network.examples", "expected a batch of 2 to 4 examples (by hand)")
    _ask(f, ask.strip(), sizes, examples)
    lr = net.get("lr", 0.5)
    figures = net.get("figures", 3)
    decimals = net.get("decimals", 2)
    update = net.get("update_biases", True)
    if not isinstance(lr, int | float) or isinstance(lr, bool) or lr <= 0:
        raise f.fail("network.lr", "expected a positive number")
    if not isinstance(figures, int) or isinstance(figures, bool) or not 2 <= figures <= 6:
        raise f.fail("network.figures", "expected a whole number of significant figures, 2 to 6")
    if not isinstance(decimals, int) or isinstance(decimals, bool) or not 1 <= decimals <= 3:
        raise f.fail("network.decimals", "expected 1, 2 or 3")
    if not isinstance(update, bool):
        raise f.fail("network.update_biases", "expected true or false")
    return NumericSpec(
        tuple(sizes), tuple(acts), loss, ask.strip(), float(lr), update, decimals, figures,
        examples,
    )  # fmt: skip
