"""Interview chains: linked questions asked in order, declared as data.

A chain file is `interviews/<name>.toml` in a bank directory (the loader of questions skips that
folder), with `format_version = 1` and one `[[chain]]` table per chain:

    [[chain]]
    id = "single-neuron"
    title = "A single neuron, step by step"
    questions = ["sigmoid-derivative", "sigmoid-neuron-dw", "sigmoid-neuron-db"]

Every error names the file and the field (`chain[2].questions`); a bad chain is reported and
skipped, the rest load.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backprop_coach.bank.load import ID_PATTERN, BankError, read_toml
from backprop_coach.untrusted import quoted

CHAIN_DIR = "interviews"
FORMAT_VERSION = 1
MIN_STEPS = 2
MAX_STEPS = 12
FIELDS = {"id", "title", "questions"}


@dataclass(frozen=True)
class Chain:
    id: str
    title: str
    questions: tuple[str, ...]  # question ids, in the order they are asked
    path: Path


def chain_files(dirs: Iterable[Path]) -> list[Path]:
    """The chain files under each bank directory's interviews/ folder, in order."""
    found: list[Path] = []
    for directory in dirs:
        folder = directory / CHAIN_DIR
        try:
            if folder.is_dir():
                found += sorted(folder.glob("*.toml"))
        except OSError:
            continue
    return found


def load_chains(
    paths: Iterable[Path], known: Sequence[str] | None = None
) -> tuple[list[Chain], list[BankError]]:
    """Every chain in `paths`, and a BankError (file and field named) for each file or chain that
    is refused: not readable, not TOML, a wrong field, a duplicate id, or (when `known`, the ids
    of the loaded questions, is given) a question id that no question has. Never raises."""
    chains: list[Chain] = []
    problems: list[BankError] = []
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            tables = _tables(path)
        except BankError as err:
            problems.append(err)
            continue
        for index, table in enumerate(tables, start=1):
            try:
                chain = _chain(table, path, index, known)
            except BankError as err:
                problems.append(err)
                continue
            if chain.id in seen:
                problems.append(
                    BankError(path, f"chain[{index}].id", f"duplicate chain id {quoted(chain.id)}")
                )
                continue
            seen[chain.id] = path
            chains.append(chain)
    return chains, problems


def _tables(path: Path) -> list[Any]:
    data = read_toml(path)
    if data.get("format_version") != FORMAT_VERSION:
        raise BankError(path, "format_version", f"expected {FORMAT_VERSION}")
    unknown = sorted(set(data) - {"format_version", "chain"})
    if unknown:
        raise BankError(
            path, unknown[0], "unknown field (a chain file has format_version and [[chain]])"
        )
    tables = data.get("chain")
    if not isinstance(tables, list) or not tables:
        raise BankError(path, "chain", "expected at least one [[chain]] table")
    return tables


def _chain(table: Any, path: Path, index: int, known: Sequence[str] | None) -> Chain:
    where = f"chain[{index}]"
    if not isinstance(table, dict):
        raise BankError(path, where, "expected a table")
    unknown = sorted(set(table) - FIELDS)
    if unknown:
        raise BankError(path, f"{where}.{unknown[0]}", "unknown field (id, title, questions)")
    cid = table.get("id")
    if not isinstance(cid, str) or not ID_PATTERN.fullmatch(cid):
        raise BankError(path, f"{where}.id", "missing, or not a kebab-case id")
    title = table.get("title")
    if not isinstance(title, str) or not title.strip():
        raise BankError(path, f"{where}.title", "missing or empty (expected text)")
    steps = table.get("questions")
    if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
        raise BankError(path, f"{where}.questions", "expected a list of question ids")
    if not MIN_STEPS <= len(steps) <= MAX_STEPS:
        raise BankError(
            path, f"{where}.questions", f"expected {MIN_STEPS} to {MAX_STEPS} question ids"
        )
    if len(set(steps)) < len(steps):
        raise BankError(path, f"{where}.questions", "a question appears twice")
    for step in steps:
        if known is not None and step not in known:
            raise BankError(path, f"{where}.questions", f"unknown question id {quoted(step)}")
    return Chain(cid, title.strip(), tuple(steps), path)
