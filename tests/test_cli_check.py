"""`backprop-coach check` through the real app: exit codes, --json, batch, hostile input."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_coach.cli import app
from backprop_coach.grading.sandbox import Sandbox, SandboxTimeout
from tests.problems import NEURON_W

NEURON = NEURON_W


def run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def run_json(runner: CliRunner, *args: str) -> tuple[int, dict[str, object]]:
    code, out = run(runner, *args, "--json")
    return code, json.loads(out)


def test_correct_claim_exits_0_and_echoes_reading(runner: CliRunner) -> None:
    code, out = run(runner, *NEURON, "--claim", "(a-y)a(1-a)x")
    assert code == 0
    assert "read as  (a - y)*a*(1 - a)*x" in out
    assert "implicit multiplication" in out
    assert "✓ correct" in out


def test_incorrect_claim_exits_1_with_diagnosis(runner: CliRunner) -> None:
    code, out = run(runner, *NEURON, "--claim", "(a - y)*x")
    assert code == 1
    assert "missing_factor" in out and "sigmoid'(z)" in out


def test_json_has_exactly_the_contract_fields(runner: CliRunner) -> None:
    code, data = run_json(runner, *NEURON, "--claim", "(y - a)*a*(1 - a)*x")
    assert code == 1
    assert set(data) == {
        *("verdict", "diagnosis", "message", "claim", "truth"),
        *("loss_read_as", "lets_read_as", "notes"),
    }
    assert data["verdict"] == "incorrect"
    assert data["diagnosis"] == "sign_flip"
    assert data["claim"] == "(y - a)*a*(1 - a)*x"
    # the problem is echoed as read, so a typo in it shows before the verdict
    assert data["loss_read_as"] == "(a - y)^2/2"
    assert data["lets_read_as"] == {"z": "w*x + b", "a": "sigmoid(z)"}
    assert data["notes"] == []


def test_invalid_exits_2(runner: CliRunner) -> None:
    code, data = run_json(runner, *NEURON, "--claim", "(a - y)*q")
    assert code == 2
    assert data["verdict"] == "invalid"
    assert "unknown name q" in str(data["message"])


def test_missing_options_exit_2_without_traceback(runner: CliRunner) -> None:
    code, out = run(runner, "check", "--loss", "w*x")
    assert code == 2
    assert "missing --wrt, --claim" in out
    assert "Traceback" not in out


def test_bad_shape_spec(runner: CliRunner) -> None:
    code, data = run_json(runner, *NEURON, "--claim", "x", "--shape", "W=2y3")
    assert code == 2 and "expected ROWSxCOLS" in str(data["message"])


def test_numeric_claim_at_a_point(runner: CliRunner) -> None:
    base = [
        "check",
        "--loss",
        "(sigmoid(w*x) - y)^2/2",
        "--wrt",
        "w",
        "--at",
        "w=0.5",
        "--at",
        "x=1",
        "--at",
        "y=0",
    ]
    assert run(runner, *base, "--claim", "0.1463")[0] == 0
    assert run(runner, *base, "--claim", "0.0822")[0] == 1


@pytest.mark.parametrize(
    "claim",
    [
        "__import__('os').system('touch /tmp/backprop-coach-pwned')",
        "x.__class__.__bases__",
        "9**9**9**9",
        "factorial(10**9)",
        "(" * 10_000 + "x" + ")" * 10_000,
        "x" * 1_000_000,
        "a\x00b",
        "lambda: 0",
        "'x'",
        "2^2^2^2^2",
        "(10^300)^100",
        "x^(10^9)",
    ],
)
def test_hostile_claims_get_a_clear_answer_quickly(runner: CliRunner, claim: str) -> None:
    start = time.monotonic()
    code, data = run_json(runner, *NEURON, "--claim", claim)
    assert time.monotonic() - start < 10  # a safety net against hangs, not a speed target
    assert code == 2
    assert data["verdict"] == "invalid"
    assert data["message"]
    assert not Path("/tmp/backprop-coach-pwned").exists()


def test_overflowing_claim_is_just_wrong(runner: CliRunner) -> None:
    code, data = run_json(runner, *NEURON, "--claim", "exp(exp(exp(exp(x))))")
    assert code == 1 and data["diagnosis"] == "wrong"


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def test_sandbox_kills_work_past_the_limit() -> None:
    with Sandbox() as box:
        start = time.monotonic()
        with pytest.raises(SandboxTimeout):
            box.call(_sleep, (30.0,), 0.3)
        assert time.monotonic() - start < 5
        # a fresh worker serves the next request
        assert box.call(_sleep, (0.0,), 5.0) == "done"


def test_batch_mode(runner: CliRunner, tmp_path: Path) -> None:
    cases = [
        {
            "id": "ok",
            "loss": "(a - y)^2/2",
            "wrt": "z",
            "claim": "(a - y)*a*(1 - a)",
            "let": ["a=sigmoid(z)"],
        },
        {"id": "bad", "loss": "w*x", "wrt": "w", "claim": "w"},
        {
            "id": "shape",
            "loss": "sum(W@x)",
            "wrt": "W",
            "claim": "(0*W@x + 1) @ x.T",
            "shape": ["W=2x3", "x=3x1"],
        },
    ]
    lines = [json.dumps(c) for c in cases] + ["not json", ""]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines))
    code, out = run(runner, "check", "--batch", str(path))
    assert code == 2  # the worst line decides: one line was not valid input
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in results] == ["ok", "bad", "shape", None]
    assert [r["verdict"] for r in results] == ["correct", "incorrect", "correct", "invalid"]
    assert "line 4" in results[3]["message"]
    path.write_text("\n".join(lines[:3]))
    assert run(runner, "check", "--batch", str(path))[0] == 1  # one claim is wrong
    path.write_text("\n".join([lines[0], lines[2]]))
    assert run(runner, "check", "--batch", str(path))[0] == 0  # every claim is right


def test_batch_keys_at_and_comments(runner: CliRunner, tmp_path: Path) -> None:
    """Unknown keys are errors naming the key; `at` checks a number per line; comments and
    blank lines are skipped; every other line gives one JSON line, in order."""
    softmax = {
        "loss": "-sum(y*log(softmax(z)))",
        "wrt": "z",
        "claim": "softmax(z) - y",
        "shape": ["z=3x1", "y=3x1"],
    }
    # by hand: s = σ(0.5) = 0.6224593, s·s(1 - s) = 0.1462803
    neuron = {"loss": "(sigmoid(w*x) - y)^2/2", "wrt": "w", "claim": "0.1463"}
    lines = [
        "# cases from my notes",
        json.dumps({"id": "typo", **softmax, "domains": ["y=onehot"]}),
        json.dumps({"id": "right", **softmax, "domain": ["y=onehot"]}),
        "",
        json.dumps({"id": "at-list", **neuron, "at": ["w=0.5", "x=1", "y=0"]}),
        json.dumps({"id": "at-object", **neuron, "at": {"w": 0.5, "x": 1, "y": 0}}),
        json.dumps({"id": "at-truncated", **neuron, "claim": "0.1462", "at": ["w=0.5", "x=1", "y=0"]}),
        json.dumps({"id": "no-at", **neuron}),
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines))
    code, out = run(runner, "check", "--batch", str(path))
    assert code == 2  # a batch reports per line; the unknown key makes the exit code 2
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in results] == [
        "typo", "right", "at-list", "at-object", "at-truncated", "no-at"
    ]  # fmt: skip
    assert results[0]["verdict"] == "invalid"
    assert "unknown key 'domains' (did you mean 'domain'?)" in results[0]["message"]
    assert "line 2" in results[0]["message"]
    assert [r["verdict"] for r in results[1:5]] == ["correct", "correct", "correct", "incorrect"]
    assert results[4]["diagnosis"] == "rounding"
    assert results[5]["verdict"] == "incorrect"  # a formula check: 0.1463 is no gradient formula


def test_batch_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    code, out = run(runner, "check", "--batch", str(tmp_path / "nope.jsonl"))
    assert code == 2 and "cannot read" in out


def test_help_and_version(runner: CliRunner) -> None:
    code, out = run(runner, "--version")
    assert code == 0 and out.startswith("backprop-coach ")
    code, out = run(runner, "check", "--help")
    assert code == 0 and "--claim" in out and "Exit codes" in out


def test_help_does_not_import_sympy_or_numpy() -> None:
    probe = (
        "import sys, runpy; sys.argv=['backprop-coach','--help'];\n"
        "try:\n    runpy.run_module('backprop_coach', run_name='__main__')\n"
        "except SystemExit: pass\n"
        "print('HEAVY' if {'sympy','numpy'} & set(sys.modules) else 'LIGHT')"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("LIGHT")


def test_plain_output_when_not_a_terminal() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "backprop_coach", *NEURON, "--claim", "(a - y)*x"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert "\x1b[" not in out.stdout
    assert "missing_factor" in out.stdout


@pytest.mark.parametrize(
    "command",
    [["quiz"], ["check"], ["trace"], ["cheatsheet"], ["stats"], ["bank"], ["bank", "list"], ["bank", "show"],
     ["bank", "validate"], ["bank", "new"]],
)  # fmt: skip
def test_every_command_has_help(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def _state(pid: int) -> str | None:
    """A process's state letter (R, S, Z, ...), or None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc")
def test_no_grading_worker_outlives_a_terminated_batch(tmp_path: Path) -> None:
    """SIGTERM to `check --batch` once left its forked workers running forever (and holding
    a pipe open); they must die with it."""
    import signal

    case = {
        "loss": "-sum(y*log(softmax(W@x)))", "wrt": "W", "claim": "(softmax(W@x) - y) x.T",
        "shape": ["W=7x7", "x=7x1", "y=7x1"], "domain": ["y=onehot"],
    }  # fmt: skip
    path = tmp_path / "slow.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, **case}) for i in range(6)) + "\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "backprop_coach", "check", "--batch", str(path), "--jobs", "2", "--truth"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    workers: list[int] = []
    deadline = time.monotonic() + 20
    while len(workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        workers = _children(proc.pid)
    assert workers, "no worker started"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    time.sleep(0.5)
    alive = [w for w in workers if _state(w) not in (None, "Z")]
    assert not alive, f"workers still running after the parent died: {alive}"


def test_a_large_wrong_claim_is_shown_in_a_screenful(runner: CliRunner) -> None:
    """A wrong 32x32 claim once printed 736 lines (every wrong entry named, every value
    whole); the message names a few entries and the values are cut, --json keeps them all."""
    args = ["check", "--loss", "sum((W@x - y)^2)/2", "--shape", "W=32x32", "--shape", "x=32x1",
            "--shape", "y=32x1", "--wrt", "W", "--claim", "(W x - y) x.T + step(W)"]  # fmt: skip
    shown = runner.invoke(app, args)
    assert shown.exit_code == 1 and len(shown.output.splitlines()) < 40
    assert "in 1024 of 1024 entries ([0,0]," in shown.output and "…" in shown.output
    data = json.loads(runner.invoke(app, [*args, "--json"]).output)
    assert data["diagnosis"] == "wrong"


def test_the_truth_is_printed_in_its_shortest_form_and_a_small_matrix_whole(
    runner: CliRunner,
) -> None:
    """BCE's ∂L/∂w printed as a·x·(1 − y) − x·y·(1 − a); it is x·(a − y). tanh's δ as
    (2 − 2a²)(a − y)/2; it is (1 − a²)(a − y). A 2x1 truth showed only its first entry."""
    bce = ["check", "--loss", "-(y*log(a) + (1 - y)*log(1 - a))", "--let", "z=w*x+b",
           "--let", "a=sigmoid(z)", "--wrt", "w", "--claim", "0"]  # fmt: skip
    assert "∂L/∂w       x⋅(a - y)" in runner.invoke(app, bce).output
    tanh = ["check", "--loss", "(a - y)^2/2", "--let", "z=w*x+b", "--let", "a=tanh(z)",
            "--wrt", "z", "--claim", "0"]  # fmt: skip
    assert "⎝1 - a ⎠⋅(a - y)" in runner.invoke(app, tanh).output
    matrix = ["check", "--loss", "sum((W@x + b - y)^2)/2", "--shape", "W=2x3", "--shape", "x=3x1",
              "--shape", "b=2x1", "--shape", "y=2x1", "--wrt", "b", "--claim", "0"]  # fmt: skip
    shown = runner.invoke(app, matrix).output
    assert "entry [0]" not in shown and "b[1] - y[1]" in shown


def test_the_truth_is_printed_in_the_learners_names(runner: CliRunner) -> None:
    """Softmax cross-entropy reads p − y (by hand: ∂/∂z_i of −Σ y_j log p_j is p_i Σy − y_i,
    and Σy = 1 for a one-hot y), with p said; a vector let folds back entry by entry."""
    softmax = ["--loss", "-sum(y*log(softmax(z)))", "--wrt", "z", "--shape", "z=3x1",
               "--shape", "y=3x1", "--domain", "y=onehot", "--claim", "softmax(z)", "--json"]  # fmt: skip
    code, data = run_json(runner, "check", *softmax)
    assert code == 1
    assert data["truth"] == "Matrix([[p[0] - y[0]], [p[1] - y[1]], [p[2] - y[2]]]), where p = softmax(z)"
    layer = ["--loss", "sum((a - y)^2)/2", "--let", "z=W@x", "--let", "a=sigmoid(z)",
             "--wrt", "z", "--shape", "W=2x2", "--shape", "x=2x1", "--shape", "y=2x1",
             "--claim", "a - y", "--json"]  # fmt: skip
    code, data = run_json(runner, "check", *layer)
    assert code == 1 and "exp" not in data["truth"] and "sigmoid" not in data["truth"]
    assert "a[0]" in data["truth"]


@pytest.mark.parametrize(
    ("problem", "truth"),
    [
        # by hand: q/2 is softmax(z), so the gradient is softmax(z) − y; q − y is wrong
        (["--loss", "-sum(y*log(q/2))", "--let", "q=2*softmax(z)", "--domain", "y=onehot",
          "--claim", "q - y"],
         "Matrix([[p[0] - y[0]], [p[1] - y[1]], [p[2] - y[2]]]), where p = softmax(z)"),
        # the temperature stays inside the softmax the printout names
        (["--loss", "-sum(y*log(softmax(z/T)))", "--domain", "y=onehot", "--domain", "T=positive",
          "--claim", "(softmax(z) - y)/T"],
         "Matrix([[(p[0] - y[0])/T], [(p[1] - y[1])/T], [(p[2] - y[2])/T]]), where p = softmax(z/T)"),
        # the textbook let keeps its own name: no "where"
        (["--loss", "-sum(y*log(p))", "--let", "p=softmax(z)", "--domain", "y=onehot",
          "--claim", "p - y"],
         "Matrix([[p[0] - y[0]], [p[1] - y[1]], [p[2] - y[2]]])"),
    ],
)  # fmt: skip
def test_a_softmax_in_the_truth_is_named_only_what_it_is(
    runner: CliRunner, problem: list[str], truth: str
) -> None:
    args = ["check", *problem, "--shape", "z=3x1", "--shape", "y=3x1", "--wrt", "z", "--json"]
    _, data = run_json(runner, *args)
    assert data["truth"] == truth


def _boom(*_: object) -> None:
    raise ValueError("boom")


def test_a_bug_in_the_worker_is_an_internal_error_not_a_verdict_on_the_input(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception nobody expected is the tool's bug: raised with the worker's traceback
    (single check: exit 70, "internal error"), and in a batch that line says so and the batch
    exits 70; it is never "could not check this input" as if the learner's input were bad."""
    from backprop_coach.grading import grader
    from backprop_coach.grading.sandbox import Sandbox, WorkerBug

    with Sandbox() as box, pytest.raises(WorkerBug) as caught:
        box.call(_boom, (), 5.0)
    assert "ValueError: boom" in caught.value.trace and "Traceback" in caught.value.trace
    monkeypatch.setattr(grader, "check", _boom)  # the forked workers inherit it
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps({"id": "x", "loss": "w^2", "wrt": "w", "claim": "2*w"}) + "\n")
    result = runner.invoke(app, ["check", "--batch", str(path), "--jobs", "1"])
    assert result.exit_code == 70
    line = json.loads(result.stdout.splitlines()[0])
    assert line["verdict"] == "error" and "internal error: ValueError: boom" in line["message"]
