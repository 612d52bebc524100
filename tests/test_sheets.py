"""Cheat sheets: every identity proved by the checker, links to real bank topics, exports."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from backprop_coach.bank.load import load_bank, shipped_bank
from backprop_coach.cli import app
from backprop_coach.grading.grader import check
from backprop_coach.render.sheets import render_sheet
from backprop_coach.sheets.content import SHEETS

IDENTITIES = [(s.name, i) for s in SHEETS.values() for i in s.identities]


@pytest.mark.parametrize(
    ("sheet", "identity"), IDENTITIES, ids=[f"{s}:{i.label}" for s, i in IDENTITIES]
)
def test_every_identity_is_proved(sheet: str, identity) -> None:  # type: ignore[no-untyped-def]
    verdict = check(identity.problem, identity.claim)
    assert verdict.verdict == "correct", f"{sheet}: {identity.label}: {verdict.message}"


def test_a_wrong_identity_would_be_caught() -> None:
    identity = SHEETS["backward"].identities[0]
    assert check(identity.problem, "a - y").verdict == "incorrect"  # BP1 without f'(z)


def test_sheets_cover_the_topics_and_link_to_the_bank() -> None:
    assert set(SHEETS) == {"forward", "backward", "activations", "losses", "update", "pitfalls"}
    topics = set(load_bank(dirs=[shipped_bank()]).topics)
    for sheet in SHEETS.values():
        assert sheet.topics and set(sheet.topics) <= topics, sheet.name


@pytest.mark.parametrize("name", list(SHEETS))
def test_sheets_fit_80_columns(name: str) -> None:
    console = Console(width=80, file=io.StringIO(), color_system=None)
    console.print(render_sheet(SHEETS[name]))
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert lines and max(cell_len(line) for line in lines) <= 80


def _data_text(sheet) -> str:  # type: ignore[no-untyped-def]
    """Every piece of text a sheet's data holds."""
    parts = [sheet.title]
    for section in sheet.sections:
        parts.append(section.title)
        for entry in section.entries:
            parts += [getattr(entry, name, "") for name in ("label", "formula", "text", "title", "code")]
    return "".join(parts)


@pytest.mark.parametrize("name", list(SHEETS))
def test_no_data_text_is_read_as_markup(name: str) -> None:
    """BCE's L = −Σ [y log a + (1 − y) log(1 − a)] once lost its bracket to Rich markup, so the
    sheet taught a wrong loss: every bracket in the data must reach the terminal."""
    console = Console(width=80, file=io.StringIO(), color_system=None)
    console.print(render_sheet(SHEETS[name]))
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    data = _data_text(SHEETS[name])
    for bracket in "[]":
        assert shown.count(bracket) == data.count(bracket), bracket
    if name == "losses":
        assert "[y log a + (1 − y) log(1 − a)]" in shown


@pytest.mark.parametrize("fmt", ["html", "svg", "markdown", "text"])
def test_exports_contain_the_formulas(runner: CliRunner, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"sheet.{fmt}"
    result = runner.invoke(app, ["cheatsheet", "all", "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    for fragment in ("softmax", "Wˡ⁺¹", "relative error", "quiz --topic"):
        if fmt == "svg":  # SVG text escapes spaces and splits runs
            fragment = fragment.split()[0]
        assert fragment in text, (fmt, fragment)
    if fmt == "html":
        assert text.lstrip().lower().startswith("<!doctype html>")
    if fmt == "svg":
        assert text.lstrip().startswith("<svg")


def test_terminal_and_errors(runner: CliRunner) -> None:
    result = runner.invoke(app, ["cheatsheet", "losses"])
    assert result.exit_code == 0 and "∂L/∂z = p − y" in result.output
    assert runner.invoke(app, ["cheatsheet", "nope"]).exit_code == 2
    assert "did you mean backward?" in runner.invoke(app, ["cheatsheet", "backwards"]).output
    assert runner.invoke(app, ["cheatsheet", "all", "--format", "pdf"]).exit_code == 2
