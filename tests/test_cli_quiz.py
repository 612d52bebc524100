"""Whole quiz sessions through the real app (CliRunner and piped subprocesses), the progress
database afterwards, crash safety, corruption recovery, scheduling and stats."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_coach.bank.load import load_bank, shipped_bank
from backprop_coach.cli import app
from backprop_coach.cli.quiz import normalize_timed
from backprop_coach.practice.schedule import Scheduler, choose
from backprop_coach.practice.stats import compute, streak
from backprop_coach.practice.store import DB_NAME, Attempt, Store

RIGHT = "(a - y)*a*(1 - a)*x"
QID = "sigmoid-neuron-dw"


def home() -> Path:
    return Path(os.environ["BACKPROP_COACH_HOME"])


def rows(
    sql: str = "SELECT question_id, attempt, answer, verdict, diagnosis FROM attempts ORDER BY id",
) -> list:  # type: ignore[type-arg]
    with sqlite3.connect(home() / DB_NAME) as conn:
        return conn.execute(sql).fetchall()


def quiz(runner: CliRunner, lines: list[str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["quiz", *args], input="".join(f"{line}\n" for line in lines))
    return result.exit_code, result.output


def test_correct_answer(runner: CliRunner) -> None:
    code, out = quiz(runner, [RIGHT], "--question", QID)
    assert code == 0
    assert "read as  (a - y)*a*(1 - a)*x" in out and "✓ correct" in out
    assert "session summary" in out
    assert rows() == [(QID, 1, RIGHT, "correct", None)]
    assert rows("SELECT question_id FROM cards") == [(QID,)]


def test_wrong_then_right(runner: CliRunner) -> None:
    code, out = quiz(runner, ["(a - y)*x", RIGHT], "--question", QID)
    assert code == 0
    assert "missing_factor" in out and "You dropped σ'(z)" in out
    assert rows() == [
        (QID, 1, "(a - y)*x", "incorrect", "missing_factor"),
        (QID, 2, RIGHT, "correct", None),
    ]
    assert rows("SELECT rating FROM reviews") == [("hard",)]


def test_invalid_input_costs_nothing(runner: CliRunner) -> None:
    _code, out = quiz(runner, ["(a - y", RIGHT], "--question", QID)
    assert "no attempt used" in out
    assert rows() == [(QID, 1, RIGHT, "correct", None)]


def test_hint_show_skip(runner: CliRunner) -> None:
    code, out = quiz(
        runner, [":hint", ":show", ":skip"], "--topic", "single-neuron", "-n", "2", "--seed", "1"
    )
    assert code == 0
    assert "hint 1/" in out and "worked answer" in out and "skipped" in out
    recorded = rows("SELECT verdict, hints FROM attempts ORDER BY id")
    assert recorded == [("revealed", 1), ("skipped", 0)]
    assert rows("SELECT rating FROM reviews") == [("again",)]  # the skip leaves the schedule alone


def test_quit_and_end_of_input_mid_question(runner: CliRunner) -> None:
    code, out = quiz(runner, [RIGHT, ":quit"], "--question", QID, "--topic", "x")
    assert code == 0 and len(rows()) == 1
    code, out = quiz(runner, ["(a - y)*x"], "--topic", "single-neuron", "-n", "3", "--seed", "2")
    assert code == 0 and "no question finished this session (attempts made so far are saved)" in out
    assert len(rows()) == 2  # the one wrong attempt made before the input ended


def test_numeric_and_concept_questions(runner: CliRunner) -> None:
    code, out = quiz(runner, ["0.1234", ":show"], "--question", "numeric-222-loss", "--seed", "3")
    assert "variant" in out and "W1" in out and "forward" in out  # the engine's worked numbers
    code, out = quiz(runner, ["the gradient shrinks", "good"], "--question", "vanishing-gradients")
    assert "key points" in out and code == 0
    assert rows("SELECT verdict, detail FROM attempts WHERE kind = 'concept'") == [
        ("rated", "good")
    ]


def test_missed_questions_come_back_first(runner: CliRunner) -> None:
    quiz(runner, ["y", "x", "w"], "--question", QID)  # missed: rated again, due in minutes
    with sqlite3.connect(home() / DB_NAME) as conn:  # pretend that time has passed
        conn.execute(
            "UPDATE cards SET due = ?", ((datetime.now(UTC) - timedelta(minutes=1)).isoformat(),)
        )
    _code, out = quiz(runner, [":quit"], "--due", "-n", "5")
    first_panel = out[: out.index("answer>")]
    assert QID in first_panel


def test_piped_stdin_subprocess_prints_verdict_and_exits_0(tmp_path: Path) -> None:
    env = {**os.environ, "BACKPROP_COACH_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "backprop_coach", "quiz", "--question", QID],
        input="sigmoid(z) - y\n", capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0
    assert "✗ incorrect" in out.stdout and "\x1b[" not in out.stdout
    assert "Traceback" not in out.stderr


def test_kill_9_loses_at_most_the_answer_being_typed(tmp_path: Path) -> None:
    env = {**os.environ, "BACKPROP_COACH_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "backprop_coach", "quiz", "--topic", "single-neuron", "-n", "5", "--seed", "4"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("(a - y)*x\n")
    proc.stdin.flush()
    deadline = time.monotonic() + 60
    seen = ""
    while "incorrect" not in seen and time.monotonic() < deadline:
        seen += proc.stdout.readline()
    proc.stdin.write("half an answ")  # being typed, no newline yet
    proc.stdin.flush()
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("SELECT answer, verdict FROM attempts").fetchall() == [
            ("(a - y)*x", "incorrect")
        ]


def test_corrupt_database_is_moved_aside(runner: CliRunner) -> None:
    home().mkdir(parents=True, exist_ok=True)
    (home() / DB_NAME).write_bytes(b"this is not a database" * 100)
    result = runner.invoke(app, ["quiz", "--question", QID], input=f"{RIGHT}\n")
    assert result.exit_code == 0
    assert "moved to" in result.output and "a fresh one started" in result.output
    assert rows() == [(QID, 1, RIGHT, "correct", None)]
    assert list(home().glob(f"{DB_NAME}.corrupt-*"))


def test_schema_version_and_reopen(tmp_path: Path) -> None:
    store = Store(tmp_path / DB_NAME)
    store.record(None, Attempt(QID, "t", "derivation", 1, "x", "incorrect", "wrong", None, 0, 1.0))
    store.close()
    reopened = Store(tmp_path / DB_NAME)
    assert reopened.conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert reopened.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert len(reopened.attempts()) == 1


def test_fsrs_schedules_hard_answers_sooner_than_easy() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    scheduler = Scheduler(fuzz=False)
    _, due_again = scheduler.review(None, "again", at)
    _, due_good = scheduler.review(None, "good", at)
    _, due_easy = scheduler.review(None, "easy", at)
    assert due_again <= due_good < due_easy


def test_choose_orders_due_then_new_with_a_daily_limit() -> None:
    questions = load_bank(dirs=[shipped_bank()]).questions[:6]
    at = datetime(2026, 1, 10, 12, tzinfo=UTC)
    old = at - timedelta(days=3)
    cards = {
        questions[0].id: {"due": at + timedelta(days=2), "introduced_at": old, "card": {}},
        questions[1].id: {"due": at - timedelta(hours=1), "introduced_at": old, "card": {}},
        questions[2].id: {"due": at - timedelta(days=1), "introduced_at": at, "card": {}},
    }
    order = choose(questions, cards, at, 10, "due", new_limit=2)
    assert [q.id for q in order[:2]] == [questions[2].id, questions[1].id]  # most overdue first
    assert len(order) == 3  # one new allowed today: the limit 2 minus one introduced today
    assert questions[0].id not in [q.id for q in order]
    default = choose(questions, cards, at, 10, "default", new_limit=2)
    assert len(default) == 6 and default[0].id == questions[2].id


def test_stats_by_hand() -> None:
    day = datetime(2026, 3, 10, 12, tzinfo=UTC)

    def attempt(
        qid: str,
        verdict: str,
        diagnosis: str | None = None,
        detail: str | None = None,
        days_ago: int = 0,
    ) -> dict:  # type: ignore[type-arg]
        return {"question_id": qid, "topic": "delta-recurrence", "verdict": verdict, "diagnosis": diagnosis,
                "detail": detail, "seconds": 10.0, "answered_at": (day - timedelta(days=days_ago)).isoformat()}  # fmt: skip

    history = [
        attempt("q1", "incorrect", "missing_factor", "sigmoid'(z1)", days) for days in range(4)
    ]
    history += [
        attempt("q2", "correct", days_ago=1),
        attempt("q2", "incorrect", "missing_factor", "sigmoid'(z2)"),
    ]
    stats = compute(history, {}, day)
    (topic,) = stats.topics
    assert (topic.attempts, topic.correct) == (6, 1)
    assert stats.streak_days == 4
    assert stats.most_missed[0] == {"id": "q1", "misses": 4, "leech": True}
    habit = stats.habits[0]
    assert habit.count == 5 and habit.detail == "sigmoid'(z)"
    # counted in the topic it names (5 of its 6 attempts), never mixed with other topics
    assert habit.sentence == "you drop sigmoid'(z) in 5 of 6 delta-recurrence attempts"
    elsewhere = attempt("q3", "incorrect", "missing_factor", "sigmoid'(z1)")
    elsewhere["topic"] = "conv-pool"
    mixed = compute([*history, elsewhere], {}, day).habits[0]
    assert mixed.sentence == (
        "you drop sigmoid'(z) in 5 of 6 delta-recurrence attempts (6 times across all topics)"
    )
    assert streak({"2026-03-08"}, day.date()) == 0
    # :show after one wrong answer ends that miss: no second attempt, no second miss; a :show
    # with no answer given is the attempt, and a miss
    wrong = {**attempt("q4", "incorrect", "sign_flip"), "attempt": 1}
    shown_after = {**attempt("q4", "revealed"), "attempt": 2}
    shown_first = {**attempt("q5", "revealed"), "attempt": 1}
    revealed = compute([wrong, shown_after, shown_first], {}, day)
    assert revealed.total_attempts == 2 and revealed.topics[0].attempts == 2
    assert {m["id"]: m["misses"] for m in revealed.most_missed} == {"q4": 1, "q5": 1}


def test_stats_command_json_and_reset(runner: CliRunner) -> None:
    quiz(runner, ["(a - y)*x", RIGHT], "--question", QID)
    data = json.loads(runner.invoke(app, ["stats", "--json"]).output)
    assert data["total_attempts"] == 2 and data["streak_days"] == 1
    assert data["habits"][0]["diagnosis"] == "missing_factor"
    text = runner.invoke(app, ["stats"]).output
    assert "practice days" in text and "by topic" in text
    refused = runner.invoke(app, ["stats", "--reset"], input="")
    assert refused.exit_code != 0 and len(rows()) == 2
    assert runner.invoke(app, ["stats", "--reset", "--yes"]).exit_code == 0
    assert rows() == []


def test_timed_option_forms() -> None:
    assert normalize_timed(["quiz", "--timed", "90", "-n", "2"]) == [
        "quiz",
        "--timed",
        "--time-limit",
        "90",
        "-n",
        "2",
    ]
    assert normalize_timed(["quiz", "--timed=45"]) == ["quiz", "--timed", "--time-limit", "45"]
    assert normalize_timed(["quiz", "--timed", "-n", "2"]) == ["quiz", "--timed", "-n", "2"]


def test_timed_session_shows_the_limit(runner: CliRunner) -> None:
    code, out = quiz(runner, [RIGHT], "--question", QID, *normalize_timed(["--timed", "30"]))
    assert code == 0 and "30 s" in out


def test_due_and_cram_conflict(runner: CliRunner) -> None:
    code, out = quiz(runner, [], "--due", "--cram")
    assert code == 2 and "do not mix" in out


@pytest.mark.parametrize("args", [["--topic", "no-such-topic"], ["--question", "nope"]])
def test_bad_selection(runner: CliRunner, args: list[str]) -> None:
    code, out = quiz(runner, [], *args)
    assert code == 2 and "Traceback" not in out


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--kind", "numerics"], "did you mean numeric?"),
        (["--topic", "lossses"], "did you mean losses?"),
    ],
)
def test_a_misspelt_kind_or_topic_is_bad_input_with_did_you_mean(
    runner: CliRunner, args: list[str], said: str
) -> None:
    code, out = quiz(runner, [], *args)
    assert code == 2 and said in out


def test_a_valid_choice_that_matches_nothing_says_what_was_asked(runner: CliRunner) -> None:
    code, out = quiz(runner, [], "--topic", "losses", "--kind", "concept")
    assert code == 1 and "--topic losses --kind concept" in out


@pytest.mark.parametrize("seconds", ["-5", "4", "4000"])
def test_timed_out_of_range_names_timed(seconds: str) -> None:
    """`--timed -5` once complained about --time-limit, an option the user never typed."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "backprop_coach", "quiz", "--timed", seconds],
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"--timed {seconds}" in done.stderr and "time-limit" not in done.stderr


def test_the_names_table_gives_every_let_its_shape(runner: CliRunner) -> None:
    """Lets once had an empty shape column, so their definitions stood out of line."""
    _, out = quiz(runner, [":quit"], "--question", "weight-gradient-output")
    assert "z1  3x1  = W1@x + b1" in out and "a2  2x1  = sigmoid(z2)" in out


def test_the_summary_tells_right_at_the_first_attempt_from_right_at_all(runner: CliRunner) -> None:
    """"1 of 1 right" once hid that it took two attempts."""
    _, out = quiz(runner, ["(a - y)*x", RIGHT], "--question", QID)
    assert "1 of 1 right, 0 at the first attempt" in out
    _, out = quiz(runner, [RIGHT], "--question", QID)
    assert "1 of 1 right, 1 at the first attempt" in out
