"""The bank: schema errors name file and field, the whole shipped bank is proved (one test per
question), user banks load beside it, and a built wheel carries the questions."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_coach.bank.load import load_bank, load_question, shipped_bank
from backprop_coach.bank.template import template
from backprop_coach.bank.validate import validate_question
from backprop_coach.cli import app

REPO = Path(__file__).resolve().parent.parent
SHIPPED = load_bank(dirs=[shipped_bank()])


def test_shipped_bank_loads_cleanly_and_is_big_enough() -> None:
    assert SHIPPED.problems == []
    assert len(SHIPPED.questions) >= 160
    assert len(SHIPPED.topics) >= 10
    kinds = {q.kind for q in SHIPPED.questions}
    assert kinds == {"derivation", "numeric", "concept"}
    for q in SHIPPED.questions:
        if q.kind == "derivation":
            assert len(q.wrong_answers) >= 2, q.id
        assert q.hints and all(h.strip() for h in q.hints), q.id


@pytest.mark.parametrize("question", SHIPPED.questions, ids=[q.id for q in SHIPPED.questions])
def test_question_is_proved(question) -> None:  # type: ignore[no-untyped-def]
    assert validate_question(question) == []


def write(root: Path, topic: str, name: str, text: str) -> Path:
    path = root / topic / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def good(question_id: str, topic: str = "mine") -> str:
    return template(question_id, topic, "derivation")


def test_template_of_each_kind_validates(tmp_path: Path) -> None:
    for kind in ("derivation", "numeric", "concept"):
        path = write(tmp_path, "mine", f"my-{kind}", template(f"my-{kind}", "mine", kind))
        assert validate_question(load_question(path)) == []


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("not toml = = =", None),
        (good("x").replace("format_version = 1", "format_version = 9"), "format_version"),
        (good("x").replace('kind = "derivation"', 'kind = "essay"'), "kind"),
        (good("x").replace("difficulty = 1 ", "difficulty = 7 "), "difficulty"),
        (
            good("x").replace(
                'hints = ["Chain rule: ∂L/∂w = ∂L/∂a · ∂a/∂z · ∂z/∂w."]', "hints = []"
            ),
            "hints",
        ),
        (
            good("x").replace('diagnosis = "sign_flip"', 'diagnosis = "oops"'),
            "wrong_answers[1].diagnosis",
        ),
        (good("x").replace('wrt = "w"', 'wrt = "q"'), "wrt"),
        (good("x").replace('answer = "(a - y)*a*(1 - a)*x"', 'answer = "(a - y"'), "answer"),
        (good("x").replace("shape = []", 'shape = ["W=2y"]'), "shape"),  # the field at fault
        ("colour = 1\n" + good("x"), "colour"),
        (good("x").replace("shape = []", 'shape = []\nforbid = ["sigmod\'"]'), "forbid[0]"),
        (good("x").replace("shape = []", 'shape = []\nforbid = ["sqrt\'"]'), "forbid[0]"),
    ],
)
def test_malformed_file_names_file_and_field(tmp_path: Path, text: str, field: str | None) -> None:
    path = write(tmp_path, "mine", "x", text)
    bank = load_bank(dirs=[tmp_path])
    assert bank.questions == []
    (problem,) = bank.problems
    assert problem.path == path
    assert problem.field == field
    assert str(path) in str(problem)


def test_id_must_match_file_name(tmp_path: Path) -> None:
    write(tmp_path, "mine", "other-name", good("x"))
    (problem,) = load_bank(dirs=[tmp_path]).problems
    assert problem.field == "id" and "file name" in problem.message


def test_malformed_file_is_skipped_and_the_rest_loads(tmp_path: Path) -> None:
    write(tmp_path, "mine", "fine", good("fine"))
    write(tmp_path, "mine", "broken", "id = ")
    bank = load_bank(dirs=[shipped_bank(), tmp_path])
    assert bank.get("fine") is not None
    assert len(bank.questions) == len(SHIPPED.questions) + 1
    assert [p.path.name for p in bank.problems] == ["broken.toml"]


def test_duplicate_id_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "mine", "sigmoid-neuron-dw", good("sigmoid-neuron-dw"))
    bank = load_bank(dirs=[shipped_bank(), tmp_path])
    (problem,) = bank.problems
    assert problem.field == "id" and "duplicate id 'sigmoid-neuron-dw'" in problem.message


def test_reference_answer_the_checker_rejects(tmp_path: Path) -> None:
    text = good("bad-answer").replace('answer = "(a - y)*a*(1 - a)*x"', 'answer = "(a - y)*x"')
    question = load_question(write(tmp_path, "mine", "bad-answer", text))
    failures = validate_question(question)
    assert any(f.startswith("answer: the checker says incorrect") for f in failures)


def test_wrong_diagnosis_is_reported(tmp_path: Path) -> None:
    text = good("bad-diag").replace('diagnosis = "sign_flip"', 'diagnosis = "transposed"')
    failures = validate_question(load_question(write(tmp_path, "mine", "bad-diag", text)))
    assert (
        failures == [failures[0]]
        and "wrong_answers[1]: expected incorrect/transposed, the checker says incorrect/sign_flip"
        in failures[0]
    )


def test_a_prompt_must_stand_alone(tmp_path: Path) -> None:
    """The quiz asks in any order: "Same neuron: ..." as the first question is nonsense."""
    for opening in ("Same neuron:", "As before,", "Now with ReLU:"):
        text = good("leaning").replace('prompt = """\n', f'prompt = """\n{opening} ')
        failures = validate_question(load_question(write(tmp_path, "mine", "leaning", text)))
        assert failures and failures[0].startswith("prompt: opens with"), (opening, failures)
    alone = validate_question(load_question(write(tmp_path, "mine", "alone", good("alone"))))
    assert alone == []


def test_bad_explanation_step_is_reported(tmp_path: Path) -> None:
    text = good("bad-step").replace('expr = "(a - y)*sigmoid\'(z)*x"', 'expr = "(a - y)*x"')
    failures = validate_question(load_question(write(tmp_path, "mine", "bad-step", text)))
    assert any(f.startswith("explanation[1].expr") for f in failures)


def test_cli_list_show_and_json(runner: CliRunner) -> None:
    listed = runner.invoke(app, ["bank", "list", "--kind", "numeric", "--json"])
    assert listed.exit_code == 0
    rows = json.loads(listed.output)
    assert rows and all(r["kind"] == "numeric" for r in rows)
    shown = runner.invoke(app, ["bank", "show", "softmax-cross-entropy-logits", "--json"])
    data = json.loads(shown.output)
    assert data["loss"] == "-sum(y*log(p))" and data["let"] == ["p=softmax(z)"]
    assert data["domain"] == ["y=onehot"] and data["shape"] == ["z=3x1", "y=3x1"]
    assert data["answer"] == "softmax(z) - y"
    text = runner.invoke(app, ["bank", "show", "sigmoid-neuron-dw"]).output
    assert "common mistakes" in text and "worked answer" in text
    missing = runner.invoke(app, ["bank", "show", "sigmoid-neuron-dx2"])
    assert missing.exit_code == 2 and "did you mean sigmoid-neuron-dx" in missing.output


def test_cli_validate_reports_and_fails(runner: CliRunner, tmp_path: Path) -> None:
    text = good("bad-answer").replace('answer = "(a - y)*a*(1 - a)*x"', 'answer = "(a - y)*x"')
    write(tmp_path, "mine", "bad-answer", text)
    write(tmp_path, "mine", "broken", "id = ")
    # the shipped bank is proved question by question above; here only the new one
    result = runner.invoke(app, ["bank", "validate", "bad-answer", "--bank", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad-answer" in result.output and "answer: the checker says incorrect" in result.output
    assert "broken.toml" in result.output
    unknown = runner.invoke(app, ["bank", "validate", "no-such-question"])
    assert unknown.exit_code == 2 and "no question no-such-question" in unknown.output


def test_cli_new_writes_a_template_that_validates(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "bank",
            "new",
            "my-question",
            "--topic",
            "mine",
            "--kind",
            "numeric",
            "--dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0
    path = tmp_path / "mine" / "my-question.toml"
    assert validate_question(load_question(path)) == []
    again = runner.invoke(
        app, ["bank", "new", "my-question", "--topic", "mine", "--dir", str(tmp_path)]
    )
    assert again.exit_code == 2 and "already exists" in again.output
    taken = runner.invoke(app, ["bank", "new", "sigmoid-neuron-dw", "--topic", "mine"])
    assert taken.exit_code == 2 and "already taken" in taken.output


def test_env_var_adds_a_bank(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "mine", "from-env", good("from-env"))
    monkeypatch.setenv("BACKPROP_COACH_BANK", str(tmp_path))
    result = runner.invoke(app, ["bank", "list", "--topic", "mine", "--json"])
    assert [r["id"] for r in json.loads(result.output)] == ["from-env"]


def test_check_question(runner: CliRunner) -> None:
    ok = runner.invoke(
        app, ["check", "--question", "sigmoid-neuron-dw", "--answer", "(a - y)*σ'(z)*x", "--json"]
    )
    assert ok.exit_code == 0 and json.loads(ok.output)["verdict"] == "correct"
    wrong = runner.invoke(
        app, ["check", "--question", "sigmoid-neuron-dw", "--answer", "x*(a - y)", "--json"]
    )
    data = json.loads(wrong.output)
    assert wrong.exit_code == 1
    assert set(data) == {
        *("verdict", "diagnosis", "message", "claim", "truth"),
        *("loss_read_as", "lets_read_as", "notes"),
    }
    assert data["diagnosis"] == "missing_factor"
    assert "You dropped σ'(z)" in data["message"]  # the question's tailored feedback
    bad = runner.invoke(app, ["check", "--question", "sigmoid-neuron-dw", "--answer", "(a - y"])
    assert bad.exit_code == 2
    concept = runner.invoke(app, ["check", "--question", "vanishing-gradients", "--answer", "x"])
    assert concept.exit_code == 2 and "concept question" in concept.output


def test_built_wheel_carries_the_questions_and_builds_without_warnings(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for name in ("backprop_coach", "questions"):
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation", str(src), "-w", str(tmp_path / "dist")],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    # a fresh install must not warn about the project's own packaging (a newcomer reads a
    # screenful of warnings as a failed install)
    for warning in ("BuildBackendWarning", "SetuptoolsDeprecationWarning", "is absent from"):
        assert warning not in built.stdout + built.stderr, warning
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(
        p.relative_to(REPO / "questions").as_posix() for p in (REPO / "questions").rglob("*.toml")
    )
    carried = sorted(
        n.removeprefix("backprop_coach/questions/")
        for n in names
        if n.startswith("backprop_coach/questions/") and n.endswith(".toml")
    )
    assert carried == shipped
    # and the installed layout is where the loader looks first
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    found = subprocess.run(
        [sys.executable, "-c", "from backprop_coach.bank.load import shipped_bank; print(shipped_bank())"],
        capture_output=True, text=True, check=True, cwd=tmp_path, env={"PYTHONPATH": str(unpacked), "PATH": ""},
    )  # fmt: skip
    assert Path(found.stdout.strip()) == unpacked / "backprop_coach" / "questions"


def test_a_question_that_answers_itself_must_forbid_its_notation(tmp_path: Path) -> None:
    """dσ/dz answered by σ'(z): validation names the field and the fix; with forbid, the answer
    σ'(z) is refused (invalid: no quiz attempt used) and every other form still works."""
    shipped = (shipped_bank() / "activations" / "sigmoid-derivative.toml").read_text()
    assert 'forbid = ["sigmoid\'"]' in shipped
    path = write(tmp_path, "activations", "sigmoid-derivative", shipped.replace('forbid = ["sigmoid\'"]\n', ""))
    failures = validate_question(load_question(path))
    assert any(f.startswith("forbid:") and "sigmoid'" in f for f in failures), failures

    from backprop_coach.bank.grade import grade_derivation

    question = SHIPPED.get("sigmoid-derivative")
    for spelling in ("σ'(z)", "sigmoid'(z)", "sigma'(z)", r"\sigma'(z)"):
        verdict = grade_derivation(question, spelling)
        assert verdict.verdict == "invalid" and "without σ'" in verdict.message, spelling
    assert grade_derivation(question, "sigmoid(z)*(1 - sigmoid(z))").verdict == "correct"
    assert grade_derivation(question, "exp(-z)/(1 + exp(-z))^2").verdict == "correct"


def test_every_topic_folder_with_an_identifier_name_is_a_listed_package() -> None:
    """setuptools treats questions/<identifier>/ as a package of data: a new topic folder named
    like `attention` must be added to pyproject's packages, or every install warns."""
    import tomllib

    packages = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    topics = [d.name for d in (REPO / "questions").iterdir() if d.is_dir() and d.name.isidentifier()]
    missing = [t for t in topics if f"backprop_coach.questions.{t}" not in packages]
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_batch_numeric_questions_match_numpy_worked_by_hand() -> None:
    """The batch questions' values from the engine equal the formulas written out with numpy:
    PyTorch's means divide by m, a shared bias sums δ over the batch."""
    import numpy as np

    from backprop_coach.bank.grade import network_for, numeric_truth

    shipped = SHIPPED
    for seed in (1, 2, 3):
        spec = shipped.get("numeric-batch-softmax-ce-delta").numeric
        net = network_for(spec, seed)
        W, b, X, Y = net.layers[0].W, net.layers[0].b, net.x, net.y  # columns are examples
        z = W @ X + b
        p = np.exp(z - z.max(axis=0)) / np.exp(z - z.max(axis=0)).sum(axis=0)
        assert numeric_truth(spec, seed)[1] == pytest.approx(((p - Y) / 2)[1, 0], rel=1e-12)

        spec = shipped.get("numeric-batch-mse-weight-gradient").numeric
        net = network_for(spec, seed)
        W, b, X, Y = net.layers[0].W, net.layers[0].b, net.x, net.y
        delta = 2 * (W @ X + b - Y) / 3
        assert numeric_truth(spec, seed)[1] == pytest.approx((delta * X[1]).sum(), rel=1e-12)

        spec = shipped.get("numeric-batch-bias-gradient").numeric
        net = network_for(spec, seed)
        sig = lambda u: 1 / (1 + np.exp(-u))  # noqa: E731
        a1 = sig(net.layers[0].W @ net.x + net.layers[0].b)
        a2 = sig(net.layers[1].W @ a1 + net.layers[1].b)
        delta2 = (a2 - net.y) * a2 * (1 - a2)
        assert numeric_truth(spec, seed)[1] == pytest.approx(delta2[0].sum(), rel=1e-12)


def test_bank_validate_checks_interview_chains(runner: CliRunner, tmp_path: Path) -> None:
    """A chain naming a question that does not exist fails validation, naming file and field."""
    chains = tmp_path / "interviews"
    chains.mkdir()
    (chains / "mine.toml").write_text(
        'format_version = 1\n[[chain]]\nid = "mine"\ntitle = "Mine"\nquestions = ["sigmoid-derivative", "no-such-question"]\n'
    )
    result = runner.invoke(app, ["bank", "validate", "sigmoid-derivative", "--bank", str(tmp_path)])
    assert result.exit_code == 1
    flat = " ".join(result.output.split())
    assert "mine.toml" in flat and "unknown question id 'no-such-question'" in flat
