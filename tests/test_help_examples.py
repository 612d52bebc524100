"""Every example in every command's --help runs as shown and exits 0: the help is the first thing
a new user copies from."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_coach.cli import app

# the network the trace examples call net.json (the classic 2-2-2 example, spelled out in the help)
NET = """{"layers": [{"W": [[0.15, 0.2], [0.25, 0.3]], "b": [0.35, 0.35], "activation": "sigmoid"},
{"W": [[0.4, 0.45], [0.5, 0.55]], "b": [0.6, 0.6], "activation": "sigmoid"}],
"loss": "half_sse", "x": [0.05, 0.1], "y": [0.01, 0.99], "lr": 0.5}"""


def _help_texts() -> list[str]:
    """The docstring and epilog of every command and sub-command."""
    texts = []
    commands = list(app.registered_commands)
    for group in app.registered_groups:
        assert group.typer_instance is not None
        commands += group.typer_instance.registered_commands
    for command in commands:
        assert command.callback is not None
        texts += [command.callback.__doc__ or "", command.epilog or ""]
    return texts


def _examples() -> list[str]:
    found = []
    for text in _help_texts():
        flat = re.sub(r"\s*\n\s*", " ", text)
        found += re.findall(r"`((?:printf [^`|]+\| )?backprop-coach [^`]+)`", flat)
    return sorted(set(found))


EXAMPLES = _examples()


def test_there_are_examples_for_every_command() -> None:
    commands = {shlex.split(e.split("| ")[-1])[1] for e in EXAMPLES}
    assert commands >= {
        "check", "trace", "quiz", "bank", "stats", "cheatsheet", "graph", "interview"
    }  # fmt: skip


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_example_runs_as_shown(
    example: str, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.json").write_text(NET)
    stdin = None
    if example.startswith("printf"):
        printf, example = example.split("| ", 1)
        _, fmt, *values = shlex.split(printf)
        stdin = "".join(fmt.replace("\\n", "\n") % v for v in values)
    result = runner.invoke(app, shlex.split(example)[1:], input=stdin)
    assert result.exit_code == 0, (example, result.output)
