"""Step-by-step derivation checking: Leibniz terms, first error in the middle, error carried
forward, all-correct derivations, and the command's JSON and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backprop_coach.cli import app
from backprop_coach.expr.problem import Problem, problem_from_specs
from backprop_coach.grading.steps import check_steps, split_steps
from tests.problems import NEURON_SPECS

NEURON = Problem("(a - y)^2/2", "", (("z", "w*x + b"), ("a", "sigmoid(z)")))
ALL_RIGHT = """\
dL/dw = dL/da * da/dz * dz/dw
      = (a - y) * sigmoid'(z) * x
      = (a - y) * a * (1 - a) * x
"""
MIDDLE_SLIP = """\
dL/dw = dL/da * da/dz * dz/dw
      = (a - y) * a * (1 + a) * x
      = x * (a - y) * a * (1 + a)
      = (a - y) * x
"""


def test_split_steps() -> None:
    assert split_steps(ALL_RIGHT) == (
        "dL/dw",
        ["dL/da * da/dz * dz/dw", "(a - y) * sigmoid'(z) * x", "(a - y) * a * (1 - a) * x"],
    )
    assert split_steps("a = b = c\n\n# comment\n= d") == ("a", ["b", "c", "d"])


def test_all_correct() -> None:
    report = check_steps(NEURON, ALL_RIGHT, wrt_given=False)
    assert report.wrt == "w"
    assert [(s.correct, s.follows) for s in report.steps] == [(True, True)] * 3
    assert report.first_wrong_step is None and report.exit_code == 0


def test_first_error_in_the_middle_and_error_carried_forward() -> None:
    report = check_steps(NEURON, MIDDLE_SLIP, wrt_given=False)
    assert [s.correct for s in report.steps] == [True, False, False, False]
    assert [s.follows for s in report.steps] == [True, False, True, False]
    assert report.first_wrong_step == 2
    assert report.steps[1].diagnosis == "wrong"
    assert report.steps[2].diagnosis is None  # a faithful rewrite of a wrong line is no new error
    assert report.steps[3].diagnosis is not None  # a new slip, judged against the previous line
    assert report.exit_code == 1


def test_diagnosis_against_previous_line() -> None:
    text = "dL/dz = (a - y)*a*(1 - a)\n= (y - a)*a*(1 - a)\n"
    report = check_steps(NEURON, text, wrt_given=False)
    assert report.wrt == "z" and report.steps[1].diagnosis == "sign_flip"


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("da/dz", "a*(1 - a)"),
        ("dz/dw", "x"),
        ("dL/da", "a - y"),
        ("∂L/∂z", "(a - y)*a*(1 - a)"),
        ("da/dw", "a*(1 - a)*x"),
    ],
)
def test_leibniz_terms_mean_the_derivatives(term: str, expected: str) -> None:
    text = f"dL/dw = {term} * (dL/dw) / ({term})\n= ({expected}) * (dL/dw) / ({expected})\n"
    report = check_steps(NEURON, text, wrt_given=False)
    assert report.steps[1].follows, report.steps[1].message


def test_vector_leibniz_is_elementwise() -> None:
    problem = problem_from_specs(
        "sum((a - y)^2)/2", "z", ["z=W@x + b", "a=sigmoid(z)"], ["W=2x3", "x=3x1", "b=2x1", "y=2x1"]
    )
    report = check_steps(problem, "dL/dz = dL/da ⊙ da/dz\n= (a - y) ⊙ a ⊙ (1 - a)\n")
    assert all(s.correct for s in report.steps)
    bad = check_steps(problem, "dL/dz = dz/dW\n")
    assert bad.steps[0].diagnosis == "invalid" and "Jacobian" in bad.steps[0].message


def test_problems_are_reported() -> None:
    assert check_steps(NEURON, "= (a - y)*x", wrt_given=False).error
    assert check_steps(NEURON, "", wrt_given=False).error
    report = check_steps(NEURON, "dL/dw = (a - y\n", wrt_given=False)
    assert report.steps[0].diagnosis == "invalid" and report.exit_code == 2


def test_command_json_and_exit_codes(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "steps.txt"
    path.write_text(MIDDLE_SLIP)
    args = [
        "check",
        "--steps",
        str(path),
        *NEURON_SPECS,
        "--json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert set(data) == {"steps", "first_wrong_step", "invalid_steps", "unfinished"}
    assert data["first_wrong_step"] == 2 and data["invalid_steps"] == []
    assert set(data["steps"][0]) == {"step", "text", "correct", "follows", "diagnosis"}
    path.write_text(ALL_RIGHT)
    assert (
        runner.invoke(
            app, ["check", "--steps", str(path), "--question", "sigmoid-neuron-dw"]
        ).exit_code
        == 0
    )
    table = runner.invoke(
        app, ["check", "--steps", str(path), "--question", "sigmoid-neuron-dw"]
    ).output
    assert "every step is correct" in table


def test_the_first_line_must_derive_what_is_asked() -> None:
    """∂L/∂b checked against ∂L/∂w was "missing a factor of x"; now it says what is derived."""
    problem = Problem("(a - y)^2/2", "w", (("z", "w*x + b"), ("a", "sigmoid(z)")))
    report = check_steps(problem, "dL/db = (a - y)*a*(1 - a)\n", wrt_given=True)
    assert report.error is not None and "asks for ∂L/∂w" in report.error
    assert report.exit_code == 2
    same = check_steps(problem, "dL/dw = (a - y)*a*(1 - a)*x\n", wrt_given=True)
    assert same.error is None and same.exit_code == 0


@pytest.mark.parametrize(
    "lhs",
    ["dL/dW2", "∂L/∂W²", "∂L/∂W₂", "dL/dW_2", r"\frac{\partial L}{\partial W^{(2)}}",
     r"\frac{\partial L}{\partial W_2}", r"\frac{\partial L}{\partial W^{[2]}}"],
)  # fmt: skip
def test_the_first_line_names_the_layer_as_textbooks_write_it(lhs: str) -> None:
    """W², W₂, W_2 and W^{(2)} are the problem's W2 (∂L/∂W2 = δ2 a1ᵀ for half the squared
    error of a two-layer sigmoid net, with δ2 = (a2 − y) ⊙ a2 ⊙ (1 − a2): Nielsen, ch. 2)."""
    lets = (("z1", "W1@x"), ("a1", "sigmoid(z1)"), ("z2", "W2@a1"), ("a2", "sigmoid(z2)"),
            ("δ2", "(a2 - y)*a2*(1 - a2)"))  # fmt: skip
    shapes = {"W1": (3, 2), "x": (2, 1), "W2": (2, 3), "y": (2, 1)}
    problem = Problem("sum((a2 - y)^2)/2", "", lets, shapes)
    report = check_steps(problem, f"{lhs} = δ2 a1.T\n", wrt_given=False)
    assert report.error is None and report.wrt == "W2" and report.exit_code == 0, report.error


def test_an_unreadable_line_is_invalid_on_its_own_line_not_the_first_wrong_step() -> None:
    text = "dL/dw = (a - y)*a*(1 - a)*x\n= (a - y)*a*(1 - a\n= x*(a - y)*a*(1 + a)\n"
    report = check_steps(NEURON, text, wrt_given=False)
    assert [s.diagnosis == "invalid" for s in report.steps] == [False, True, False]
    assert report.invalid_steps == [2]
    assert report.first_wrong_step == 3  # the real slip, not the unreadable line
    assert report.to_json()["invalid_steps"] == [2]
    assert report.exit_code == 2


def test_the_summary_agrees_with_the_table(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "steps.txt"
    path.write_text("dL/dw = (a - y)*a*(1 - a)*x\n= (a - y)*a*(1 - a\n")
    result = runner.invoke(app, ["check", "--steps", str(path), *NEURON_SPECS])
    assert result.exit_code == 2
    assert "every step is correct" not in result.output
    assert "could not read step 2" in result.output


def test_a_correction_is_not_a_new_error(runner: CliRunner, tmp_path: Path) -> None:
    text = "dL/dw = 2*(a - y)*a*(1 - a)*x\n= (a - y)*a*(1 - a)*x\n"
    report = check_steps(NEURON, text, wrt_given=False)
    assert [s.correct for s in report.steps] == [False, True]
    assert report.steps[1].diagnosis is None  # right again: nothing new to blame
    path = tmp_path / "steps.txt"
    path.write_text(text)
    result = runner.invoke(app, ["check", "--steps", str(path), *NEURON_SPECS])
    assert "new errors" not in result.output


def test_steps_refuses_a_claim_beside_it_and_says_when_a_file_is_missing(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "steps.txt"
    path.write_text("dL/dw = (a - y)*x\n")
    both = runner.invoke(app, ["check", "--steps", str(path), "--claim", "x", *NEURON_SPECS])
    assert both.exit_code == 2 and "leave out --claim" in both.output
    missing = runner.invoke(app, ["check", "--steps", str(tmp_path / "no.txt"), *NEURON_SPECS])
    assert missing.exit_code == 2 and "no such file or directory" in missing.output
    assert "Errno" not in missing.output


def test_a_derivation_that_stops_at_leibniz_terms_is_unfinished() -> None:
    report = check_steps(NEURON, "dL/dw = dL/da * da/dz * dz/dw\n", wrt_given=False)
    assert report.steps[0].correct and report.unfinished
    assert report.exit_code == 1
    assert check_steps(NEURON, ALL_RIGHT, wrt_given=False).exit_code == 0


def test_a_step_file_is_never_read_as_markup(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "steps.txt"
    path.write_text("dL/dw = (a - y)*x [/]\n= [bold]x\n")
    result = runner.invoke(app, ["check", "--steps", str(path), *NEURON_SPECS])
    assert result.exit_code == 2  # the lines do not parse: reported, not a crash
    assert "[/]" in result.output and "internal error" not in result.output


def test_a_hostile_step_file_prints_no_control_characters(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "steps.txt"
    path.write_text("= \x1b]0;pwned\x07(a - y) x\n= \u202ex\n= " + "x" * 300_000 + "\n")
    result = runner.invoke(app, ["check", "--steps", str(path), *NEURON_SPECS, "--wrt", "w"])
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "\\x1b" in result.output  # shown as its code
    assert len(result.output) < 10_000  # a 300,000-character line is cut, not echoed


def test_a_full_jacobian_between_same_shapes_is_refused_not_read_elementwise() -> None:
    """∂z/∂x for z = W@x has the shape of neither entry-by-entry factor: it was once read as its
    diagonal, so dL/dz * dz/dx was graded as if it meant something; it must be refused."""
    problem = Problem(
        "sum((z - y)^2)/2", "x", (("z", "W@x"),), {"W": (3, 3), "x": (3, 1), "y": (3, 1)}
    )
    report = check_steps(problem, "dL/dx = dL/dz * dz/dx\n= W.T @ (z - y)")
    first, second = report.steps
    assert first.diagnosis == "invalid" and "full Jacobian" in first.message
    assert second.correct


def test_a_line_follows_only_what_it_equals_beyond_rounding() -> None:
    """A previous line with cancelling 1e20 terms once lent its rounding slack to the next
    line: `= 7` was said to follow it."""
    problem = Problem("(w*x - y)^2/2", "w")
    report = check_steps(problem, "dL/dw = (w*x - y)*x + 10^20*x - 10^20*x\n= 7")
    first, second = report.steps
    assert first.correct and not second.correct and not second.follows


def test_no_step_read_is_not_called_correct(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "steps.txt"
    path.write_text("dL/dw = (w\n")
    result = runner.invoke(app, ["check", "--steps", str(path), "--loss", "w^2/2", "--wrt", "w"])
    assert "could not read step 1" in result.output
    assert "every step that could be read is correct" not in result.output
