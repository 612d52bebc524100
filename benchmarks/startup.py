"""Start-up cost of whole commands, each against its floor.

- `backprop-coach --help` against a bare Typer app with the same commands (wall time; target
  within 1.25x): Rich's help rendering is the floor.
- CPU time (user + system, median of RUNS) of one `check` process against
  `python -c "import sympy, numpy"` (target at most 1.3x), and of `stats`, `bank list` and a
  refused input against `python -c "import rich"` (target at most 2x).

    .venv/bin/python benchmarks/startup.py [RUNS]
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from backprop_coach.cli import app


def timed(argv: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def cpu(argv: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    """Median CPU seconds (user + system) of a command."""
    samples = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(argv, capture_output=True, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        samples.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(samples)


CHECK = ["check", "--loss", "(sigmoid(w*x + b) - y)^2/2", "--wrt", "w"]
COMMANDS = {
    "check (correct, proved)": [
        *CHECK,
        "--claim",
        "(a - y)*a*(1 - a)*x",
        "--let",
        "a=sigmoid(w*x + b)",
    ],
    "check (wrong, --json)": [*CHECK, "--claim", "(sigmoid(w*x + b) - y)*x", "--json"],
    "stats": ["stats"],
    "bank list": ["bank", "list"],
    "check (input refused)": [*CHECK, "--claim", "(a - y"],
}


# typer 0.2x imports pydantic to coerce parameters as soon as a command with options runs:
# that, not this tool, is the floor of any command
BARE_COMMAND = """import typer
app = typer.Typer()
@app.command()
def main(json: bool = typer.Option(False, "--json")) -> None:
    print("{}")
app()
"""


def bare_app(commands: int) -> str:
    body = "\n".join(
        f"@app.command('c{i}')\ndef c{i}(x: str = typer.Option('', help='x')) -> None:\n    '''Command {i}.'''\n"
        for i in range(commands)
    )
    return f"import typer\napp = typer.Typer()\n{body}\napp()\n"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    commands = len(app.registered_commands) + len(app.registered_groups)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bare.py"
        script.write_text(bare_app(commands))
        timed([sys.executable, str(script), "--help"], 2)  # warm the file cache
        bare = timed([sys.executable, str(script), "--help"], runs)
    ours = timed([sys.executable, "-m", "backprop_coach", "--help"], runs)
    print(f"commands: {commands}, runs: {runs}")
    print(f"bare typer --help: {bare * 1000:.0f} ms")
    print(f"backprop-coach --help: {ours * 1000:.0f} ms")
    print(f"ratio: {ours / bare:.2f}x (target <= 1.25x)")
    print()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "BACKPROP_COACH_HOME": home}
        bare = Path(home) / "bare.py"
        bare.write_text(BARE_COMMAND)
        floors = {
            "import sympy, numpy": cpu([sys.executable, "-c", "import sympy, numpy"], runs),
            "import rich": cpu([sys.executable, "-c", "import rich"], runs),
            "a bare Typer command": cpu([sys.executable, str(bare), "--json"], runs),
        }
        for name, seconds in floors.items():
            print(f"CPU {name:28} {seconds * 1000:6.0f} ms")
        for name, args in COMMANDS.items():
            seconds = cpu([sys.executable, "-m", "backprop_coach", *args], runs, env)
            floor = "import sympy, numpy" if name.startswith("check (c") else "import rich"
            if name.startswith("check (w"):
                floor = "import sympy, numpy"
            target = "1.3x" if floor.startswith("import sympy") else "2x"
            typer_floor = floors["a bare Typer command"]
            print(
                f"CPU {name:28} {seconds * 1000:6.0f} ms = {seconds / floors[floor]:.2f}x "
                f"{floor} (target <= {target}), {seconds / typer_floor:.2f}x a bare Typer command"
            )


if __name__ == "__main__":
    main()
