"""Shared fixtures: the real CLI app run through CliRunner with a fixed-width, colourless Rich."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner


@pytest.fixture(autouse=True)
def _plain_terminal(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("BACKPROP_COACH_HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.setenv("BACKPROP_COACH_FSRS_FUZZ", "0")  # deterministic schedules
    from backprop_coach.cli import output

    output.console.cache_clear()
    output.error_console.cache_clear()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
