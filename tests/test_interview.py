"""`backprop-coach interview`: chains as data, the flow through piped input, the clock, the
scored report (figures worked by hand from the rule in practice/interview.py) and `stats`."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_coach.bank.chains import Chain, chain_files, load_chains
from backprop_coach.bank.load import load_bank, shipped_bank
from backprop_coach.cli import app
from backprop_coach.practice.interview import InterviewSession, clock_text, past, report
from backprop_coach.practice.session import Done, Item, Note
from backprop_coach.practice.store import DB_NAME

# the shipped chain single-neuron, with each step's right answer (from the question files)
RIGHT = ["sigmoid(z)*(1 - sigmoid(z))", "(a - y)*a*(1 - a)*x", "(a - y)*a*(1 - a)",
         "(a - y)*step(z)*x"]  # fmt: skip
STEPS = ["sigmoid-derivative", "sigmoid-neuron-dw", "sigmoid-neuron-db", "relu-neuron-dw"]


def home() -> Path:
    return Path(os.environ["BACKPROP_COACH_HOME"])


def rows(sql: str) -> list:  # type: ignore[type-arg]
    with sqlite3.connect(home() / DB_NAME) as conn:
        return conn.execute(sql).fetchall()


def interview(runner: CliRunner, lines: list[str], *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["interview", "--chain", "single-neuron", *args],
        input="".join(f"{line}\n" for line in lines),
    )
    return result.exit_code, result.output


def score_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("score "))


# -- chains as data --------------------------------------------------------------------------------


def test_the_shipped_chains_load_and_cover_the_talking_points() -> None:
    bank = load_bank(dirs=[shipped_bank()])
    chains, problems = load_chains(chain_files([shipped_bank()]), [q.id for q in bank.questions])
    assert problems == []
    assert {c.id for c in chains} >= {
        "single-neuron", "delta-recurrence", "weight-gradient-shapes", "update-rule",
        "vanishing-exploding", "normalization-skip", "numeric-vs-autodiff",
    }  # fmt: skip
    # stats finds a session's chain by the questions it answered, in order: no chain may be a
    # prefix of another's first step
    firsts = [c.questions[0] for c in chains]
    assert len(set(firsts)) == len(firsts)
    # the chain files are not read as questions
    assert all("interviews" not in q.path.parts for q in bank.questions)


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ('[[chain]]\nid = "a"\ntitle = "t"\nquestions = ["sigmoid-derivative", "nope"]',
         "chain[1].questions", "unknown question id 'nope'"),
        ('[[chain]]\nid = "a"\nquestions = ["sigmoid-derivative", "bias-gradient"]',
         "chain[1].title", "missing or empty"),
        ('[[chain]]\nid = "A b"\ntitle = "t"\nquestions = ["sigmoid-derivative", "bias-gradient"]',
         "chain[1].id", "kebab-case"),
        ('[[chain]]\nid = "a"\ntitle = "t"\nquestions = ["bias-gradient"]',
         "chain[1].questions", "2 to 12"),
        ('[[chain]]\nid = "a"\ntitle = "t"\nquestions = ["bias-gradient", "bias-gradient"]',
         "chain[1].questions", "appears twice"),
        ('[[chain]]\nid = "a"\ntitle = "t"\nquestions = ["bias-gradient", "sigmoid-derivative"]\n'
         'follow_ups = 1', "chain[1].follow_ups", "unknown field"),
    ],
)  # fmt: skip
def test_a_bad_chain_is_refused_naming_file_and_field(
    tmp_path: Path, text: str, field: str, message: str
) -> None:
    path = tmp_path / "interviews" / "mine.toml"
    path.parent.mkdir()
    path.write_text("format_version = 1\n" + text)
    good = '\n[[chain]]\nid = "fine"\ntitle = "t"\nquestions = ["bias-gradient", "sigmoid-derivative"]'
    path.write_text(path.read_text() + good)
    chains, problems = load_chains([path], ["bias-gradient", "sigmoid-derivative"])
    assert [c.id for c in chains] == ["fine"]  # the rest of the file still loads
    assert len(problems) == 1
    assert problems[0].field == field and message in problems[0].message
    assert str(path) in str(problems[0])


def test_a_bad_chain_in_a_bank_is_reported_and_the_rest_run(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "interviews").mkdir()
    (tmp_path / "interviews" / "x.toml").write_text(
        'format_version = 1\n[[chain]]\nid = "zz"\ntitle = "t"\nquestions = ["nope", "nada"]\n'
    )
    result = runner.invoke(app, ["interview", "--list", "--bank", str(tmp_path)])
    assert result.exit_code == 0
    assert "skipped 1 interview chain(s):" in result.output
    assert "chain[1].questions: unknown question id 'nope'" in result.output
    assert "single-neuron" in result.output


def test_a_chain_file_that_is_not_toml_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[[chain]\n")
    chains, problems = load_chains([path])
    assert chains == [] and "not valid TOML" in str(problems[0]) and str(path) in str(problems[0])


def test_chain_titles_are_never_read_as_markup(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "interviews").mkdir()
    (tmp_path / "interviews" / "x.toml").write_text(
        'format_version = 1\n[[chain]]\nid = "zz-mine"\ntitle = "[bold]loud[/] \\u001b[31mred"\n'
        'questions = ["bias-gradient", "sigmoid-derivative"]\n'
    )
    result = runner.invoke(app, ["interview", "--list", "--bank", str(tmp_path)])
    assert result.exit_code == 0
    assert "[bold]loud[/]" in result.output and "\x1b" not in result.output


# -- the flow through piped input --------------------------------------------------------------


def test_a_full_chain_answered_right(runner: CliRunner) -> None:
    code, out = interview(runner, RIGHT)
    assert code == 0, out
    assert out.count("✓ correct") == 4
    assert score_line(out).startswith("score 40/40 (100%)")
    assert "full marks without hints on 4 of 4 steps" in out
    assert rows("SELECT mode, ended_at IS NOT NULL FROM sessions") == [("interview", 1)]
    assert rows("SELECT question_id, attempt, verdict FROM attempts ORDER BY id") == [
        (q, 1, "correct") for q in STEPS
    ]
    assert rows("SELECT count(*) FROM cards") == [(0,)]  # the schedule is not touched


def test_a_wrong_step_costs_three_points_and_is_diagnosed(runner: CliRunner) -> None:
    code, out = interview(runner, [RIGHT[0], "(a - y)*x", *RIGHT[1:]])
    assert code == 0, out
    assert "missing_factor" in out
    assert score_line(out).startswith("score 37/40 (92%)")  # 10 + (10 - 3) + 10 + 10
    assert "you drop sigmoid'(z) (missing_factor, 1 time)" in out
    assert rows("SELECT question_id, attempt, verdict, diagnosis FROM attempts ORDER BY id")[1:3] == [
        ("sigmoid-neuron-dw", 1, "incorrect", "missing_factor"),
        ("sigmoid-neuron-dw", 2, "correct", None),
    ]


def test_a_missed_step_scores_zero_and_the_chain_goes_on(runner: CliRunner) -> None:
    wrong = ["(a - y)*x", "x*(a - y)*2", "(y - a)*a*(1 - a)*x"]
    code, out = interview(runner, [RIGHT[0], *wrong, *RIGHT[2:]])
    assert code == 0, out
    assert score_line(out).startswith("score 30/40 (75%)")  # 10 + 0 + 10 + 10
    assert "1 step not answered right: sigmoid-neuron-dw" in out
    assert rows("SELECT count(*) FROM attempts WHERE verdict = 'incorrect'") == [(3,)]


def test_a_hint_costs_two_points(runner: CliRunner) -> None:
    code, out = interview(runner, [RIGHT[0], ":hint", ":hint", *RIGHT[1:]])
    assert code == 0, out
    assert "hint 2/" in out
    assert score_line(out).startswith("score 36/40 (90%)")  # 10 + (10 - 2·2) + 10 + 10
    assert rows("SELECT hints FROM attempts WHERE question_id = 'sigmoid-neuron-dw'") == [(2,)]


def test_end_of_input_midway_keeps_every_answer(runner: CliRunner) -> None:
    code, out = interview(runner, RIGHT[:2])
    assert code == 0, out
    assert score_line(out).startswith("score 20/40 (50%)")
    assert "not reached" in out
    assert rows("SELECT question_id, verdict FROM attempts ORDER BY id") == [
        (STEPS[0], "correct"), (STEPS[1], "correct"),
    ]  # fmt: skip


def test_a_concept_chain_is_scored_by_the_learners_ratings(runner: CliRunner) -> None:
    lines = ["central differences, O(h^2)", "good", "words", "hard", "more words", "again"]
    result = runner.invoke(
        app, ["interview", "--chain", "numeric-vs-autodiff"], input="".join(f"{x}\n" for x in lines)
    )
    assert result.exit_code == 0, result.output
    assert score_line(result.output).startswith("score 15/40 (38%)")  # 10 + 5 + 0 + 0
    assert rows("SELECT verdict, detail FROM attempts ORDER BY id") == [
        ("rated", "good"), ("rated", "hard"), ("rated", "again"),
    ]  # fmt: skip
    assert "the interview ended with 1 of 4 steps not reached" in result.output


@pytest.mark.parametrize(("signum", "said"), [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "terminated")])
def test_ctrl_c_midway_loses_no_answer(tmp_path: Path, signum: int, said: str) -> None:
    env = {**os.environ, "BACKPROP_COACH_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    report_md = tmp_path / "report.md"
    proc = subprocess.Popen(
        [sys.executable, "-m", "backprop_coach", "interview", "--chain", "single-neuron",
         "--report", str(report_md)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(f"{RIGHT[0]}\n(a - y)*x\n")
    proc.stdin.flush()
    deadline = time.monotonic() + 90  # a guard against a hang, not a timing assertion
    seen = ""
    while "incorrect" not in seen and time.monotonic() < deadline:
        seen += proc.stdout.readline()
    time.sleep(0.5)  # waiting for the next line
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert f"{said}: every graded attempt is saved" in out
    assert "score 10/40 (25%)" in out and "Traceback" not in err
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("SELECT question_id, verdict FROM attempts ORDER BY id").fetchall() == [
            (STEPS[0], "correct"), (STEPS[1], "incorrect"),
        ]  # fmt: skip
        assert conn.execute("SELECT mode, ended_at IS NOT NULL FROM sessions").fetchall() == [
            ("interview", 1)
        ]
    assert "**10/40**" in report_md.read_text()


# -- the report's figures ------------------------------------------------------------------------


def _row(qid: str, attempt: int, verdict: str, hints: int = 0, seconds: float = 30.0,
         diagnosis: str | None = None, detail: str | None = None) -> dict:  # type: ignore[type-arg]
    return {"question_id": qid, "topic": "t", "attempt": attempt, "verdict": verdict,
            "diagnosis": diagnosis, "detail": detail, "hints": hints, "seconds": seconds,
            "session_id": 1}  # fmt: skip


def test_report_figures_worked_by_hand() -> None:
    chain = Chain("c", "A chain", ("q1", "q2", "q3", "q4", "q5", "q6"), Path("c.toml"))
    attempts = [
        _row("q1", 1, "correct", seconds=20),  # right at once: 10
        _row("q2", 1, "incorrect", 1, 40, "missing_factor", "sigmoid'(z2)"),
        _row("q2", 2, "correct", 1, 70),  # one wrong, one hint: 10 - 3 - 2 = 5
        _row("q3", 1, "rated", 1, 50, detail="hard"),  # concept rated hard, a hint: 5 - 2 = 3
        _row("q4", 1, "incorrect", 3, 10, "sign_flip"),
        _row("q4", 2, "incorrect", 3, 20, "missing_factor", "sigmoid'(z1)"),
        _row("q4", 3, "correct", 3, 90),  # 10 - 3·2 - 2·3 = -2, so 0
        _row("q5", 1, "revealed", 0, 15),  # shown: 0
    ]  # q6 not reached: 0
    r = report(chain, attempts, limit=600, seconds=300)
    assert [s.points for s in r.steps] == [10, 5, 3, 0, 0, 0]
    assert [s.result for s in r.steps] == [
        "correct", "correct", "rated", "correct", "revealed", "not reached",
    ]  # fmt: skip
    assert [s.attempts for s in r.steps] == [1, 2, 1, 3, 0, 0]
    assert [s.hints for s in r.steps] == [0, 1, 1, 3, 0, 0]
    assert [s.seconds for s in r.steps] == [20, 70, 50, 90, 15, 0]
    assert (r.score, r.out_of, r.percent) == (18, 60, 30)
    assert r.steps[1].diagnoses == ["missing_factor: sigmoid'(z)"]
    assert r.strengths == ["full marks without hints on 1 of 6 steps: q1"]
    assert r.habits[0] == "you drop sigmoid'(z) (missing_factor, 2 times)"
    assert "you flip the sign (sign_flip, 1 time)" in r.habits
    assert any(h.startswith("you reached for hints on 3 steps") for h in r.habits)
    assert "the interview ended with 1 of 6 steps not reached" in r.habits
    late = report(chain, attempts, limit=240, seconds=300)
    assert "time ran out: aim for about 0.7 min a step" in late.habits  # 240 s / 60 / 6


def test_the_clock_ends_the_interview_after_the_step_in_progress() -> None:
    bank = load_bank(dirs=[shipped_bank()])
    items = [Item(bank.get(q), 1) for q in STEPS]  # type: ignore[arg-type]
    now = [0.0]

    def grade(item: Item, text: str, previous: str | None):  # type: ignore[no-untyped-def]
        from backprop_coach.bank.grade import grade_derivation

        return grade_derivation(item.question, text, previous)

    session = InterviewSession(items, grade, lambda: now[0], None, total=60)
    session.start()
    now[0] = 30.0
    assert session.left() == 30
    session.handle(RIGHT[0])  # in time: the next step is asked
    now[0] = 75.0
    events = session.handle(RIGHT[1])  # answered after the clock ran out: graded, then the end
    assert any(isinstance(e, Note) and "time is up" in e.text for e in events)
    assert isinstance(events[-1], Done) and [o.result for o in events[-1].outcomes] == [
        "correct", "correct",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("left", "text"),
    [(900, "interview 15:00 left"), (59.4, "interview 1:00 left"), (0.2, "interview 0:01 left"),
     (0, "interview overtime 0:00"), (-75.5, "interview overtime 1:15")],
)  # fmt: skip
def test_the_toolbar_clock(left: float, text: str) -> None:
    assert clock_text(left) == text


# -- saved, shown in stats, exported ------------------------------------------------------------


def test_stats_shows_the_interview_and_the_markdown_report(
    runner: CliRunner, tmp_path: Path
) -> None:
    md = tmp_path / "report.md"
    code, out = interview(runner, [RIGHT[0], "(a - y)*x", *RIGHT[1:]], "--report", str(md))
    assert code == 0, out
    text = md.read_text()
    assert "score **37/40** (92%)" in text
    assert "| 2 | sigmoid-neuron-dw | 7/10 | correct | " in text
    assert "| 2 | 0 | missing_factor: sigmoid'(z) |" in text
    assert list(tmp_path.iterdir()) == [md]  # no temporary file left
    stats = runner.invoke(app, ["stats"]).output
    assert "mock interviews" in stats and "single-neuron" in stats and "37/40 (92%)" in stats
    data = json.loads(runner.invoke(app, ["stats", "--json"]).output)
    assert [(i["chain"], i["score"], i["out_of"]) for i in data["interviews"]] == [
        ("single-neuron", 37, 40)
    ]


def test_past_leaves_out_sessions_it_cannot_place() -> None:
    chain = Chain("c", "t", ("q1", "q2"), Path("c.toml"))
    attempts = [_row("q1", 1, "correct"), {**_row("q2", 1, "correct"), "session_id": 2}]
    sessions = [{"id": 1, "started_at": "x"}, {"id": 2, "started_at": "y"}, {"id": 3, "started_at": "z"}]
    # session 2 answered q2 first, which starts no chain; session 3 answered nothing
    assert [p["session"] for p in past(sessions, attempts, [chain])] == [1]


@pytest.mark.parametrize("args", [["--chain", "single-neuronn"], ["--report", "/nonexistent/dir/r.md"]])
def test_bad_input_is_exit_2_before_anything_is_asked(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, ["interview", *args], input=f"{RIGHT[0]}\n")
    assert result.exit_code == 2
    assert "answer>" not in result.output
    assert not (home() / DB_NAME).exists() or rows("SELECT count(*) FROM attempts") == [(0,)]


def test_a_report_that_cannot_be_written_is_exit_2_with_the_answers_kept(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(path: Path, data: str | bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("backprop_coach.atomic.write_atomic", full_disk)
    code, out = interview(runner, RIGHT[:1], "--report", str(tmp_path / "r.md"))
    assert code == 2
    assert "score 10/40" in out  # the report is still shown
    assert "not written" in out and "every answer is saved" in out
    assert rows("SELECT question_id, verdict FROM attempts") == [(STEPS[0], "correct")]
