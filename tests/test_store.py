"""The progress store under faults: sessions racing on a fresh folder, corrupt files, read-only
folders, a full disk, bad rows, a locked file, oversized answers. Expected outcomes are read
back with plain sqlite3, not through the store."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_coach.cli import app
from backprop_coach.practice import store as store_module
from backprop_coach.practice.store import (
    DB_NAME,
    MAX_TEXT_BYTES,
    Attempt,
    Store,
    StoreError,
    open_store,
)
from tests.mounts import fill, read_only_folder, snapshot, tiny_tmpfs

QID = "sigmoid-neuron-dw"
RIGHT = "(a - y)*a*(1 - a)*x"
SESSIONS = 20
ANSWERS = 5


def attempt(n: int, answer: str = "x", qid: str = QID) -> Attempt:
    return Attempt(qid, "single-neuron", "derivation", n, answer, "incorrect", "wrong", None, 0, 1.0)


def table(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def home() -> Path:
    return Path(os.environ["BACKPROP_COACH_HOME"])


# -- twenty sessions at once ------------------------------------------------------------------
def _one_session(folder: str, number: int, start: multiprocessing.synchronize.Barrier) -> None:
    start.wait(timeout=60)
    store = open_store(Path(folder))
    session = store.start_session("practice")
    for n in range(ANSWERS):
        store.record(session, attempt(n + 1, f"session {number} answer {n}"))
    store.end_session(session)
    store.close()


def test_twenty_sessions_started_at_once_on_a_fresh_folder_keep_every_answer(
    tmp_path: Path,
) -> None:
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(SESSIONS)
    workers = [
        ctx.Process(target=_one_session, args=(str(tmp_path), i, start)) for i in range(SESSIONS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0] * SESSIONS
    answers = table(tmp_path / DB_NAME, "SELECT answer FROM attempts")
    expected = {f"session {i} answer {n}" for i in range(SESSIONS) for n in range(ANSWERS)}
    assert sorted(a for (a,) in answers) == sorted(expected)
    assert table(tmp_path / DB_NAME, "SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL") == [
        (SESSIONS,)
    ]
    assert not list(tmp_path.glob("*corrupt*"))


# -- corruption, and what is not corruption ---------------------------------------------------
def fixed_clock() -> datetime:
    return datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_a_corrupt_file_moved_aside_twice_in_the_same_second_gets_two_names(
    tmp_path: Path,
) -> None:
    path = tmp_path / DB_NAME
    first, second = b"first damaged file " * 300, b"second damaged file " * 300
    path.write_bytes(first)
    store = Store(path, clock=fixed_clock)
    assert store.notice is not None and "moved to" in store.notice
    store.close()
    path.write_bytes(second)
    store = Store(path, clock=fixed_clock)
    assert store.notice is not None
    store.record(None, attempt(1))
    store.close()
    backups = sorted(tmp_path.glob(f"{DB_NAME}.corrupt-*"))
    assert [b.name for b in backups] == [
        f"{DB_NAME}.corrupt-20260101T120000",
        f"{DB_NAME}.corrupt-20260101T120000-2",
    ]
    assert {b.read_bytes() for b in backups} == {first, second}
    assert str(backups[1]) in store.notice
    assert table(path, "SELECT answer FROM attempts") == [("x",)]


def test_a_malformed_database_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    store = Store(path)
    for n in range(200):
        store.record(None, attempt(n, "a long answer " * 20))
    store.close()
    data = bytearray(path.read_bytes())
    assert data[:16] == b"SQLite format 3\0"
    page = int.from_bytes(data[16:18], "big")
    data[2 * page : 4 * page] = b"\xff" * (2 * page)  # pages 3 and 4: b-tree pages, now junk
    path.write_bytes(bytes(data))
    store = Store(path)
    assert store.notice is not None and "could not be read" in store.notice
    assert store.attempts() == []
    store.close()
    assert len(list(tmp_path.glob(f"{DB_NAME}.corrupt-*"))) == 1


def test_a_locked_database_is_an_error_and_is_not_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.3)
    path = tmp_path / DB_NAME
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE other (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked"):
            Store(path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [DB_NAME]


def test_a_read_only_folder_is_a_clear_error_and_the_file_is_untouched(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def prepare(folder: Path) -> None:
        store = Store(folder / DB_NAME)
        store.record(store.start_session("practice"), attempt(1, "kept"))
        store.close()

    with read_only_folder(prepare) as folder:
        before = snapshot(folder)
        with pytest.raises(StoreError, match="cannot open your progress database"):
            Store(folder / DB_NAME)
        monkeypatch.setenv("BACKPROP_COACH_HOME", str(folder))
        for command in (["stats"], ["quiz", "--question", QID]):
            result = runner.invoke(app, command, input=f"{RIGHT}\n")
            assert result.exit_code == 2, result.output
            assert "error: cannot open your progress database" in result.output
            assert "left as it is" in result.output and "read-only" in result.output
            assert "internal error" not in result.output
        assert snapshot(folder) == before


def test_an_empty_read_only_folder_is_a_clear_error(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    with read_only_folder(lambda folder: None) as folder:
        monkeypatch.setenv("BACKPROP_COACH_HOME", str(folder))
        result = runner.invoke(app, ["stats"])
        assert result.exit_code == 2
        assert "cannot open your progress database" in result.output
        assert snapshot(folder) == {}


def test_a_valid_sqlite_file_without_tables_gets_the_schema(runner: CliRunner) -> None:
    path = home() / DB_NAME
    home().mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 1")  # says "schema 1" but has no tables
    conn.close()
    assert runner.invoke(app, ["stats"]).exit_code == 0
    result = runner.invoke(app, ["quiz", "--question", QID], input=f"{RIGHT}\n")
    assert result.exit_code == 0, result.output
    assert table(path, "SELECT answer, verdict FROM attempts") == [(RIGHT, "correct")]
    assert not list(home().glob("*corrupt*"))


def test_a_database_of_another_program_is_refused_and_left_alone(runner: CliRunner) -> None:
    path = home() / DB_NAME
    home().mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE cards (front TEXT, back TEXT)")
    conn.execute("INSERT INTO cards VALUES ('q', 'a')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 2
    assert "not a backprop-coach progress database" in result.output
    assert path.read_bytes() == before
    assert table(path, "SELECT * FROM cards") == [("q", "a")]


# -- bad rows ---------------------------------------------------------------------------------
def test_a_card_with_bad_json_is_reset_with_a_note_and_stats_and_quiz_work(
    runner: CliRunner,
) -> None:
    assert runner.invoke(app, ["quiz", "--question", QID], input="(a - y)*x\ny\nw\n").exit_code == 0
    path = home() / DB_NAME
    conn = sqlite3.connect(path)
    conn.execute("UPDATE cards SET card = '{not json'")
    conn.execute(
        "INSERT INTO attempts (question_id, topic, kind, answered_at, attempt, answer, verdict,"
        " seconds) VALUES ('q', 't', 'derivation', 'yesterday', 1, 'a', 'correct', 1.0)"
    )
    conn.commit()
    conn.close()
    result = runner.invoke(app, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total_attempts"] == 3  # the three good ones; the one dated "yesterday" left out
    assert f"the schedule of {QID} could not be read" in result.output
    assert "1 stored attempt could not be read" in result.output
    assert table(path, "SELECT count(*) FROM cards") == [(0,)]  # reset for good
    again = runner.invoke(app, ["stats"])
    assert again.exit_code == 0 and "schedule" not in again.output
    result = runner.invoke(app, ["quiz", "--question", QID], input=f"{RIGHT}\n")
    assert result.exit_code == 0, result.output
    ((card,),) = table(path, "SELECT card FROM cards")
    assert "card_id" in json.loads(card)


def test_a_card_fsrs_cannot_use_is_reset_when_the_question_is_answered(runner: CliRunner) -> None:
    assert runner.invoke(app, ["quiz", "--question", QID], input=f"{RIGHT}\n").exit_code == 0
    path = home() / DB_NAME
    conn = sqlite3.connect(path)
    conn.execute("UPDATE cards SET card = '{\"state\": \"nonsense\"}'")
    conn.commit()
    conn.close()
    result = runner.invoke(app, ["quiz", "--question", QID], input=f"{RIGHT}\n")
    assert result.exit_code == 0, result.output
    assert "could not be read" in result.output and "Traceback" not in result.output
    ((card,),) = table(path, "SELECT card FROM cards")
    assert "card_id" in json.loads(card)
    assert table(path, "SELECT count(*) FROM attempts") == [(2,)]


# -- free text ----------------------------------------------------------------------------------
def test_stored_free_text_is_capped_and_made_valid(tmp_path: Path) -> None:
    store = Store(tmp_path / DB_NAME)
    store.record(None, attempt(1, "é" * 1_000_000))
    store.record(None, attempt(2, "lone \ud800 surrogate"))
    store.close()
    (long, odd) = [a for (a,) in table(tmp_path / DB_NAME, "SELECT answer FROM attempts")]
    assert len(long.encode("utf-8")) <= MAX_TEXT_BYTES
    assert long.startswith("é" * 4000) and long.endswith("[cut]")
    assert odd == "lone ? surrogate"


# -- a full disk ----------------------------------------------------------------------------
def test_a_full_disk_says_what_was_not_saved_and_keeps_the_rest() -> None:
    with tiny_tmpfs(2048) as mount:
        store = Store(mount / DB_NAME)
        store.record(None, attempt(1, "before"))
        filler = fill(mount)
        with pytest.raises(StoreError) as caught:
            for n in range(2, 200):  # a page or two of the WAL may still be free
                store.record(None, attempt(n, "on a full disk " * 50))
        assert "the disk is full" in str(caught.value)
        assert f"not saved: attempt {n} at {QID}" in str(caught.value)
        saved = n - 1
        filler.unlink()
        store.record(None, attempt(999, "after"))
        store.close()
        answers = [a for (a,) in table(mount / DB_NAME, "SELECT answer FROM attempts")]
        assert answers[0] == "before" and answers[-1] == "after"
        assert len(answers) == saved + 1
        assert not list(mount.glob("*corrupt*"))


def test_a_database_that_turns_read_only_says_what_was_not_saved(tmp_path: Path) -> None:
    store = Store(tmp_path / DB_NAME)
    session = store.start_session("practice")
    store.record(session, attempt(1, "kept"))
    store.conn.execute("PRAGMA query_only = 1")  # SQLite now refuses writes as read-only
    with pytest.raises(StoreError) as caught:
        store.record(session, attempt(2, "lost"), ("again", "{}", fixed_clock()))
    message = str(caught.value)
    assert "read-only" in message
    assert f"not saved: attempt 2 at {QID} (incorrect) and its new schedule" in message
    store.close()
    assert table(tmp_path / DB_NAME, "SELECT answer FROM attempts") == [("kept",)]


def test_a_disk_that_fills_during_a_quiz_ends_the_session_cleanly() -> None:
    with tiny_tmpfs(2048) as mount:
        env = {**os.environ, "BACKPROP_COACH_HOME": str(mount), "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "backprop_coach", "quiz", "--question", QID],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env,
        )  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        deadline = time.monotonic() + 60
        seen = ""
        while "question 1 of 1" not in seen and time.monotonic() < deadline:
            seen += proc.stdout.readline()
        assert "question 1 of 1" in seen
        filler = fill(mount)
        try:
            out, err = proc.communicate("(a - y)*x\n", timeout=60)
        finally:
            filler.unlink()
        assert proc.returncode == 2, (out, err)
        assert "the disk is full" in err and f"not saved: attempt 1 at {QID}" in err
        assert "the session is closed" in err
        assert "Traceback" not in err and "internal error" not in err
        assert "are saved" not in out  # the summary's claim would be false here
        assert table(mount / DB_NAME, "SELECT count(*) FROM attempts") == [(0,)]
        assert not list(mount.glob("*corrupt*"))


def test_a_full_disk_at_open_is_a_clear_error_and_nothing_is_moved(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tiny_tmpfs(256) as mount:
        filler = fill(mount)
        monkeypatch.setenv("BACKPROP_COACH_HOME", str(mount))
        result = runner.invoke(app, ["stats"])
        assert result.exit_code == 2
        assert "cannot open your progress database" in result.output
        assert "the disk is full" in result.output
        assert not list(mount.glob("*corrupt*"))
        filler.unlink()
        assert runner.invoke(app, ["stats"]).exit_code == 0
