"""Start-up time of `backprop-coach --help` against a bare Typer app with the same commands.

Rich's help rendering is the floor; the target is within 1.25x of the bare app.

    .venv/bin/python benchmarks/startup.py [RUNS]
"""

from __future__ import annotations

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


if __name__ == "__main__":
    main()
