"""Grading workers live and die with the command: none survives `kill -9` of its parent, none
prints on Ctrl-C or SIGTERM, and SIGTERM ends a quiz the way Ctrl-C does (the session closed,
every graded answer kept). Linux only (the worker list comes from /proc)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backprop_coach.practice.store import DB_NAME

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir(), reason="reads the process tree from /proc (Linux)"
)
CORPUS = Path(__file__).parent / "data" / "check_corpus.jsonl"
COMMAND = [sys.executable, "-m", "backprop_coach"]


def children(pid: int) -> list[int]:
    """The live child processes of `pid`."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return [c for c in found if alive(c)]


def alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it is dead)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] not in ("Z", "X")


def wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return bool(condition())  # type: ignore[operator]


def start_batch(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], list[int]]:
    """`check --batch` on a long batch, in its own process group; it and its workers' pids
    once a worker is grading."""
    batch = tmp_path / "batch.jsonl"
    batch.write_text(CORPUS.read_text() * 5)
    proc = subprocess.Popen(
        [*COMMAND, "check", "--batch", str(batch), "--jobs", "1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env, start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None
    proc.stdout.readline()  # the first result: the worker is up and grading
    workers = children(proc.pid)
    assert workers, "no grading worker found"
    return proc, workers


def test_no_worker_survives_kill_9_of_its_parent(tmp_path: Path) -> None:
    proc, workers = start_batch(tmp_path, dict(os.environ))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert wait_for(lambda: not any(alive(w) for w in workers), 5), "a worker outlived kill -9"
    proc.communicate(timeout=10)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_to_the_process_group_prints_nothing_from_workers(
    tmp_path: Path, signum: int
) -> None:
    """Ctrl-C in a terminal signals the whole foreground group: the workers too."""
    proc, workers = start_batch(tmp_path, dict(os.environ))
    os.killpg(proc.pid, signum)
    _out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err and "Process" not in err, err
    if signum == signal.SIGINT:
        assert proc.returncode == 130
        assert "interrupted: results above are complete" in err
    assert wait_for(lambda: not any(alive(w) for w in workers), 5)


def test_sigterm_ends_a_quiz_like_ctrl_c_and_keeps_the_answers(tmp_path: Path) -> None:
    env = {**os.environ, "BACKPROP_COACH_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [*COMMAND, "quiz", "--topic", "single-neuron", "-n", "5", "--seed", "4"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("(a - y)*x\n")
    proc.stdin.flush()
    seen = ""
    deadline = time.monotonic() + 60
    while "incorrect" not in seen and time.monotonic() < deadline:
        seen += proc.stdout.readline()
    assert "incorrect" in seen
    workers = children(proc.pid)
    assert workers, "no grading worker found"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "terminated: every graded attempt is saved" in out
    assert "Traceback" not in err and "Process" not in err
    assert wait_for(lambda: not any(alive(w) for w in workers), 5)
    conn = sqlite3.connect(tmp_path / DB_NAME)
    try:
        assert conn.execute("SELECT answer, verdict FROM attempts").fetchall() == [
            ("(a - y)*x", "incorrect")
        ]
        assert conn.execute("SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL").fetchone() == (1,)
    finally:
        conn.close()
