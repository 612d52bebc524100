"""`backprop-coach trace` through the real app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_coach.cli import app
from tests.test_engine import MAZUR


@pytest.fixture
def net_file(tmp_path: Path) -> Path:
    path = tmp_path / "net.json"
    path.write_text(json.dumps(MAZUR))
    return path


def test_worked_answer_shows_formulas_with_numbers(runner: CliRunner, net_file: Path) -> None:
    result = runner.invoke(app, ["trace", "--net", str(net_file)])
    assert result.exit_code == 0
    out = result.output
    assert "z1   = W1·x + b1" in out
    assert "= [[0.15, 0.2], [0.25, 0.3]]·[0.05, 0.1] + [0.35, 0.35]" in out
    assert "= [0.3775, 0.3925]" in out
    assert "δ1     = (W2ᵀ δ2) ⊙ sigmoid'(z1)" in out
    assert "= [0.03635, 0.04137] ⊙ [0.241301, 0.240613]" in out
    assert "= [0.008771, 0.009954]" in out
    assert "0.298371109" in out
    assert "gradient check" in out


def test_steps_select_sections(runner: CliRunner, net_file: Path) -> None:
    out = runner.invoke(app, ["trace", "--net", str(net_file), "--steps", "forward"]).output
    assert "forward" in out and "backward" not in out and "W1_new" not in out
    bad = runner.invoke(app, ["trace", "--net", str(net_file), "--steps", "sideways"])
    assert bad.exit_code == 2 and "unknown sideways" in bad.output


def test_json_shape(runner: CliRunner, net_file: Path) -> None:
    result = runner.invoke(app, ["trace", "--net", str(net_file), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert set(data) == {"loss", "layers", "gradcheck"}
    assert data["loss"] == pytest.approx(0.298371109, abs=1e-9)
    assert set(data["layers"][0]) == {"z", "a", "delta", "dW", "db", "W_new", "b_new"}
    assert data["layers"][1]["W_new"][0][0] == pytest.approx(0.35891648, abs=1e-8)
    assert data["layers"][0]["z"] == pytest.approx([0.3775, 0.3925])
    assert data["gradcheck"]["max_rel_error"] < 1e-7


def test_check_learner_numbers(runner: CliRunner, net_file: Path) -> None:
    args = ["trace", "--net", str(net_file), "--json"]
    right = runner.invoke(
        app, [*args, "--check", "delta2=[0.1384986, -0.0380982]", "--check", "W2_new[0][0]=0.3589"]
    )
    assert right.exit_code == 0
    assert all(c["correct"] for c in json.loads(right.output)["checks"])
    wrong = runner.invoke(app, [*args, "--check", "W1_new[0][0]=0.1499", "--check", "loss=0.2984"])
    assert wrong.exit_code == 1
    checks = json.loads(wrong.output)["checks"]
    assert [c["correct"] for c in checks] == [False, True]
    assert checks[0]["expected"] == pytest.approx(0.149780716, abs=1e-9)
    assert "W1 − η·∂L/∂W1" in checks[0]["formula"]


def test_check_precision_follows_digits_given(runner: CliRunner, net_file: Path) -> None:
    args = ["trace", "--net", str(net_file), "--json", "--check"]
    # Mazur's worked example: out_h1 = 0.593269992, δ_o1 = 0.138498562
    assert runner.invoke(app, [*args, "a1[0]=0.59"]).exit_code == 0  # rounded to 2 decimals
    assert runner.invoke(app, [*args, "a1[0]=0.5933"]).exit_code == 0
    truncated = runner.invoke(app, [*args, "a1[0]=0.5932"])
    assert truncated.exit_code == 1
    assert json.loads(truncated.output)["checks"][0]["diagnosis"] == "rounding"
    assert "round rather than truncate" in json.loads(truncated.output)["checks"][0]["message"]
    assert runner.invoke(app, [*args, "a1[0]=0.5940"]).exit_code == 1
    rounding = json.loads(runner.invoke(app, [*args, "delta2[0]=0.1384985"]).output)
    assert rounding["checks"][0]["diagnosis"] == "rounding"
    # one significant figure cannot show the work: refused, exit 2
    few = runner.invoke(app, [*args, "a1[0]=0.6"])
    assert few.exit_code == 2 and "give at least 2" in few.output
    # 0 means exactly zero
    assert runner.invoke(app, [*args, "a1[0]=0"]).exit_code == 1


@pytest.mark.parametrize(
    ("check", "code", "fragment"),
    [
        # a quantity the network does not have is bad input, not a wrong answer
        ("delta9=[1, 2]", 2, "delta9: layer 9 does not exist"),
        ("W2=1", 2, "updated weights are W2_new"),
        ("delta2[5]=1", 2, "delta2[5]: index 5 is out of range"),
        ("a1[0][0][0]=1", 2, "1 dimension(s) but 3 indices"),
        ("foo=1", 2, "unknown name 'foo'"),
        ("zz2=1", 2, "unknown name 'zz2'"),
        # a value of the wrong shape is a wrong answer
        ("delta2=[1, 2, 3]", 1, "has shape (2,)"),
    ],
)
def test_check_errors(
    runner: CliRunner, net_file: Path, check: str, code: int, fragment: str
) -> None:
    result = runner.invoke(app, ["trace", "--net", str(net_file), "--check", check])
    assert result.exit_code == code
    assert fragment in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "not valid JSON (line 1"),
        (json.dumps({**MAZUR, "loss": "hinge"}), "loss: unknown 'hinge'"),
        (json.dumps({**MAZUR, "y": [0.1]}), "y: has 1 values per example"),
        ("[]", "must hold a JSON object"),
    ],
)
def test_malformed_net_file_exits_2(
    runner: CliRunner, tmp_path: Path, content: str, fragment: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = runner.invoke(app, ["trace", "--net", str(path)])
    assert result.exit_code == 2
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_random_network_by_seed_and_save(runner: CliRunner, tmp_path: Path) -> None:
    saved = tmp_path / "saved.json"
    args = ["trace", "--layers", "2,2,1", "--seed", "4", "--json"]
    first = runner.invoke(app, [*args, "--save", str(saved)])
    second = runner.invoke(app, args)
    assert first.exit_code == 0 and first.stdout == second.stdout
    assert f"saved the network to {saved}" in " ".join(first.stderr.split())  # said on stderr
    replay = runner.invoke(app, ["trace", "--net", str(saved), "--json"])
    assert json.loads(replay.output)["loss"] == json.loads(first.stdout)["loss"]
    bad = runner.invoke(app, ["trace", "--layers", "2,x"])
    assert bad.exit_code == 2 and "--layers" in bad.output


def test_batch_bias_gradients_are_one_number_per_unit(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    path.write_text(
        json.dumps({**MAZUR, "x": [[0.05, 0.1], [0.2, -0.3]], "y": [[0.01, 0.99], [0.5, 0.5]]})
    )
    data = json.loads(runner.invoke(app, ["trace", "--net", str(path), "--json"]).output)
    shown = " ".join(runner.invoke(app, ["trace", "--net", str(path)]).output.split())
    assert "one example a row in the file, shown one column per example" in shown
    db2 = data["layers"][1]["db"]
    assert len(db2) == 2 and all(isinstance(v, float) for v in db2)
    assert (
        len(data["layers"][1]["delta"]) == 2 and len(data["layers"][1]["delta"][0]) == 2
    )  # one column per example
    given = "[" + ", ".join(f"{v:.4f}" for v in db2) + "]"
    check = runner.invoke(app, ["trace", "--net", str(path), "--check", f"db2={given}"])
    assert check.exit_code == 0, check.output


def test_a_ragged_list_is_a_clear_wrong_answer(runner: CliRunner, net_file: Path) -> None:
    result = runner.invoke(
        app, ["trace", "--net", str(net_file), "--json", "--check", "dW2=[[0.08, 0.08], [-0.02]]"]
    )
    assert result.exit_code == 1
    assert "different lengths" in json.loads(result.output)["checks"][0]["message"]


def test_a_fresh_network_without_seed_differs_and_says_its_seed(runner: CliRunner) -> None:
    """--layers without --seed once drew the same "fresh" network every time."""
    runs = [
        json.loads(runner.invoke(app, ["trace", "--layers", "3,2", "--json"]).output)
        for _ in range(4)
    ]
    seeds = {run["seed"] for run in runs}
    assert len(seeds) > 1
    again = json.loads(
        runner.invoke(
            app, ["trace", "--layers", "3,2", "--seed", str(runs[0]["seed"]), "--json"]
        ).output
    )
    assert again["layers"] == runs[0]["layers"]


def test_no_negative_zero_is_shown() -> None:
    from backprop_coach.render.trace import fmt

    assert fmt([-0.0, -1e-9, 0.4], 6) == "[0, 0, 0.4]" and fmt(-0.4, 0) == "0"


def test_targets_outside_the_loss_domain_and_bias_counts_are_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    net = {"layers": [{"W": [[0.15, 0.2]], "b": [0.35], "activation": "sigmoid"}],
           "loss": "bce", "x": [0.05, 0.1], "y": [2], "lr": 0.5}  # fmt: skip
    path = tmp_path / "net.json"
    path.write_text(json.dumps(net))
    refused = runner.invoke(app, ["trace", "--net", str(path)])
    assert refused.exit_code == 2 and "bce takes targets that are probabilities" in refused.output
    net.update(y=[1], loss="mse")
    net["layers"][0]["b"] = [0.35, 0.1]  # type: ignore[index]
    path.write_text(json.dumps(net))
    refused = runner.invoke(app, ["trace", "--net", str(path)])
    assert "expected 1 bias, one per unit" in refused.output


def test_save_writes_a_row_a_line_and_reads_back(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "saved.json"
    args = ["trace", "--layers", "2,2,1", "--seed", "3", "--save", str(path), "--json"]
    first = json.loads(runner.invoke(app, args).stdout)
    text = path.read_text()
    assert len(text.splitlines()) < 30 and "[-0.83, -0.53]" in text
    again = json.loads(runner.invoke(app, ["trace", "--net", str(path), "--json"]).output)
    assert again["layers"] == first["layers"]


def test_latex_shows_only_the_steps_asked_for(runner: CliRunner) -> None:
    args = ["trace", "--layers", "2,2,1", "--seed", "3", "--latex"]
    backward = runner.invoke(app, [*args, "--steps", "backward"]).output
    assert (
        r"\delta^{(2)}" in backward
        and "z^{(1)}" not in backward
        and "_{\\text{new}}" not in backward
    )
    assert r"\frac{\partial L}{\partial b^{(1)}} &= \delta^{(1)}" in backward
    everything = runner.invoke(app, args).output
    assert r"b^{(2)}_{\text{new}}" in everything
    assert (
        "z^{(1)}" in everything and r"\delta^{(2)}" in everything and "_{\\text{new}}" in everything
    )
