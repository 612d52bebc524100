"""`backprop-coach graph` and the mistake on the graph: terminal, --json, DOT/SVG files (with
and without Graphviz's dot), and the marker on the right edge for missing_factor,
extra_factor, a left-out path and a transposed gradient."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from backprop_coach.cli import app
from backprop_coach.expr.problem import problem_from_specs
from backprop_coach.grading import grader
from backprop_coach.grading.graph_mistake import Mistake, locate, mistake_of

NEURON = ["--loss", "(a - y)^2/2", "--let", "z=w*x+b", "--let", "a=sigmoid(z)", "--wrt", "w"]
POINT = ["--at", "w=0.5", "--at", "x=1", "--at", "b=0", "--at", "y=0"]
LAYER = [
    "--loss", "sum((a - y)^2)/2", "--let", "z=W@x+b", "--let", "a=sigmoid(z)",
    "--shape", "W=2x3", "--shape", "x=3x1", "--shape", "b=2x1", "--shape", "y=2x1", "--wrt", "W",
]  # fmt: skip
TWICE = ["--loss", "(u*v - y)^2", "--let", "u=x*x", "--let", "v=sigmoid(x)+u", "--wrt", "x"]


def run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


# -- the terminal ------------------------------------------------------------------------------


def test_terminal_tree_shows_values_gradients_and_local_derivatives(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out = run(runner, "graph", *NEURON, *POINT)
    assert code == 0, out
    # σ(0.5) = 0.6225, σ'(0.5) = 0.2350, ∂L/∂w = 0.6225·0.2350·1 = 0.1463 (by hand)
    assert "a = sigmoid(z)" in out and "value 0.6225" in out
    assert "∂L/∂w = 0.1463" in out
    assert "local ∂a/∂z = sigmoid'(z) = 0.235" in out
    assert "local ∂z/∂w = x = 1" in out
    assert "◀ --wrt" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_a_name_used_twice_shows_its_gradient_as_the_sum_over_paths(runner: CliRunner) -> None:
    code, out = run(runner, "graph", *TWICE, "--at", "x=1", "--at", "y=0")
    assert code == 0, out
    assert "gradients add where paths meet" in out
    assert "(via u)" in out and "(via v)" in out
    assert "(drawn above)" in out


def test_matrix_values_are_shown_when_small(runner: CliRunner) -> None:
    code, out = run(runner, "graph", *LAYER)
    assert code == 0, out
    assert "W  (2x3)" in out and "[[" in out
    assert "a Jacobian" in out


# -- JSON --------------------------------------------------------------------------------------


def test_json_nodes_and_edges(runner: CliRunner) -> None:
    code, out = run(runner, "graph", *NEURON, *POINT, "--json")
    assert code == 0, out
    data = json.loads(out)
    names = [n["name"] for n in data["nodes"]]
    assert names == ["w", "x", "b", "y", "z", "a", "L"]
    assert {"name", "shape", "value", "grad"} <= set(data["nodes"][0])
    w = data["nodes"][0]
    s = 1 / (1 + np.exp(-0.5))
    assert w["value"] == 0.5 and w["grad"] == pytest.approx(s * s * (1 - s))
    edges = {(e["from"], e["to"]): e for e in data["edges"]}
    assert set(edges) == {("w", "z"), ("x", "z"), ("b", "z"), ("z", "a"), ("a", "L"), ("y", "L")}
    assert edges[("z", "a")]["local"] == "sigmoid'(z)"
    assert edges[("z", "a")]["local_value"] == pytest.approx(s * (1 - s))


def test_json_matrices_are_nested_lists(runner: CliRunner) -> None:
    code, out = run(runner, "graph", *LAYER, "--json")
    assert code == 0, out
    W = json.loads(out)["nodes"][0]
    assert W["name"] == "W" and W["shape"] == [2, 3]
    assert np.array(W["value"]).shape == (2, 3) and np.array(W["grad"]).shape == (2, 3)


def test_a_bank_question_draws_its_problem(runner: CliRunner) -> None:
    code, out = run(runner, "graph", "--question", "sigmoid-neuron-dw", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["wrt"] == "w"
    assert [n["name"] for n in data["nodes"]][-3:] == ["z", "a", "L"]


# -- files -------------------------------------------------------------------------------------


def check_dot_text(text: str, nodes: list[str], edges: list[tuple[str, str]]) -> None:
    """The DOT text's structure, without Graphviz: one digraph, balanced braces, every node
    and edge of the graph once."""
    assert text.lstrip().startswith("// backprop-coach graph\ndigraph backprop {")
    assert text.count("{") == text.count("}")
    ids = {n: ("loss" if n == "L" else f"n_{n}") for n in nodes}
    for n in nodes:
        assert re.search(rf"^\s*{ids[n]} \[label=<", text, re.M), n
    for s, t in edges:
        assert re.search(rf"^\s*{ids[s]} -> {ids[t]}\b", text, re.M), (s, t)
    assert len(re.findall(r" -> ", text)) == len(edges)


def test_dot_to_stdout_is_a_well_formed_digraph(runner: CliRunner, tmp_path: Path) -> None:
    code, out = run(runner, "graph", *NEURON, *POINT, "--format", "dot")
    assert code == 0, out
    check_dot_text(
        out,
        ["w", "x", "b", "y", "z", "a", "L"],
        [("w", "z"), ("x", "z"), ("b", "z"), ("z", "a"), ("a", "L"), ("y", "L")],
    )
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed: the DOT text is checked, not rendered")
    path = tmp_path / "g.dot"
    path.write_text(out, encoding="utf-8")
    done = subprocess.run(["dot", "-Tsvg", str(path)], capture_output=True, timeout=60)
    assert done.returncode == 0 and b"<svg" in done.stdout, done.stderr


def test_svg_and_png_files_with_dot(runner: CliRunner, tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    svg, png = tmp_path / "g.svg", tmp_path / "g.png"
    code, out = run(runner, "graph", *NEURON, *POINT, "-o", str(svg))
    assert code == 0, out
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and "a = sigmoid(z)" in text and "0.1463" in text
    code, out = run(runner, "graph", *NEURON, *POINT, "--format", "png", "-o", str(png))
    assert code == 0, out
    assert png.read_bytes().startswith(b"\x89PNG")


def test_without_dot_an_svg_asked_for_writes_the_dot_file_and_says_how(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no dot program anywhere
    target = tmp_path / "g.svg"
    result = runner.invoke(app, ["graph", *NEURON, *POINT, "-o", str(target)])
    assert result.exit_code == 2
    assert not target.exists()
    written = tmp_path / "g.dot"
    check_dot_text(
        written.read_text(encoding="utf-8"),
        ["w", "x", "b", "y", "z", "a", "L"],
        [("w", "z"), ("x", "z"), ("b", "z"), ("z", "a"), ("a", "L"), ("y", "L")],
    )
    message = " ".join(result.output.split())
    assert "apt-get install graphviz" in message and "dot -Tsvg" in message


def test_a_dot_file_needs_no_graphviz_program(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    target = tmp_path / "g.gv"
    code, out = run(runner, "graph", *TWICE, "-o", str(target))
    assert code == 0, out
    assert "n_x -> n_u" in target.read_text(encoding="utf-8")


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*NEURON, "--at", "q=1"], "not an input"),
        ([*LAYER, "--at", "W=1"], "matrix"),
        ([*NEURON, "--format", "svg"], "add -o FILE"),
        ([*NEURON, "--format", "gif"], "unknown --format"),
        ([*NEURON, "-o", "g.txt"], "--format"),
        (["--loss", "(a - y)^2", "--let", "a=sigmoid(z", "--wrt", "z"], ""),
        (["--loss", "sum(W@x)", "--shape", "W=2x3", "--shape", "x=2x1", "--wrt", "W"], ""),
        ([*NEURON, "--claim", "(a - y"], "--claim"),
        (["--wrt", "w"], "missing --loss"),
        (["--question", "vanishing-gradients"], "no problem to draw"),
        (["--loss", "L*2", "--let", "L=x+1", "--wrt", "x"], "L names the loss"),
    ],
)
def test_bad_input_is_exit_2_with_a_message(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["graph", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert message in " ".join(result.output.split())


# -- the mistake on the graph ------------------------------------------------------------------


def marker(loss: str, wrt: str, lets: list[str], claim: str, shapes: list[str] | None = None):  # type: ignore[no-untyped-def]
    problem = problem_from_specs(loss, wrt, lets, shapes or [])
    verdict = grader.check(problem, claim)
    assert verdict.verdict == "incorrect", verdict.message
    return verdict, locate(problem, claim, mistake_of(verdict))


def test_missing_factor_is_marked_on_its_edge() -> None:
    verdict, found = marker("(a - y)^2/2", "w", ["z=w*x+b", "a=sigmoid(z)"], "(a - y)*x")
    assert verdict.diagnosis == "missing_factor"
    assert found.edge == ("z", "a") and found.kind == "missing"
    verdict, found = marker("(a - y)^2/2", "w", ["z=w*x+b", "a=sigmoid(z)"], "(a - y)*a*(1 - a)")
    assert found.edge == ("w", "z") and found.kind == "missing"


def test_half_of_sigmoid_prime_missing_is_marked_on_the_activation_edge() -> None:
    # σ'(z) = a(1 − a): dropping either half is part of the edge z → a
    for claim in ("(a - y)*a*x", "(a - y)*(1 - a)*x"):
        verdict, found = marker("(a - y)^2/2", "w", ["z=w*x+b", "a=sigmoid(z)"], claim)
        assert verdict.diagnosis == "missing_factor"
        assert found.edge == ("z", "a") and found.kind == "missing_part", claim


def test_extra_factor_is_marked_on_its_edge() -> None:
    verdict, found = marker(
        "(a - y)^2/2", "z", ["z=w*x+b", "a=tanh(z)"], "(a - y)*(1 - a^2)*(1 - a^2)"
    )
    assert verdict.diagnosis == "extra_factor"
    assert found.edge == ("z", "a") and found.kind == "extra"


def test_a_left_out_path_is_marked() -> None:
    # ∂L/∂x = 2(uv − y)(v·2x + u·(σ'(x) + 2x)); leaving out x → v drops u·σ'(x)
    _, found = marker(
        "(u*v - y)^2", "x", ["u=x*x", "v=sigmoid(x)+u"], "2*(u*v - y)*(v*2*x + u*2*x)"
    )
    assert found.edge == ("x", "v") and found.kind == "dropped_path"
    # and leaving out u → v drops the path x → u → v → L
    _, found = marker(
        "(u*v - y)^2", "x", ["u=x*x", "v=sigmoid(x)+u"],
        "2*(u*v - y)*(v*2*x + u*sigmoid(x)*(1 - sigmoid(x)))",
    )  # fmt: skip
    assert found.edge == ("u", "v") and found.kind == "dropped_path"


def test_a_transposed_gradient_is_marked_on_the_matrix_edge() -> None:
    verdict, found = marker(
        "sum((a - y)^2)/2", "W", ["z=W@x+b", "a=sigmoid(z)"],
        "x @ ((a - y)*a*(1 - a)).T", ["W=2x3", "x=3x1", "b=2x1", "y=2x1"],
    )  # fmt: skip
    assert verdict.diagnosis == "transposed"
    assert found.edge == ("W", "z") and found.kind == "transposed"


def test_a_sign_flip_is_on_no_one_edge() -> None:
    problem = problem_from_specs("(a - y)^2/2", "w", ["z=w*x+b", "a=sigmoid(z)"])
    found = locate(problem, "(y - a)*a*(1 - a)*x", Mistake("sign_flip", None, "sign flipped"))
    assert found.edge is None and "sign flipped" in found.sentence


def test_graph_claim_json_names_the_marked_edge(runner: CliRunner) -> None:
    code, out = run(runner, "graph", *NEURON, "--claim", "(a - y)*x", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["diagnosis"] == "missing_factor"
    assert data["mistake"]["edge"] == {"from": "z", "to": "a"}


def test_check_graph_draws_the_mistake_under_the_verdict(runner: CliRunner) -> None:
    code, out = run(runner, "check", *NEURON, "--claim", "(a - y)*x", "--graph")
    assert code == 1
    assert "missing_factor" in out
    assert "✗ local ∂a/∂z = sigmoid'(z)" in out
    assert "missing the local derivative of the edge z → a" in " ".join(out.split())


def test_check_graph_on_a_right_claim_draws_the_graph_unmarked(runner: CliRunner) -> None:
    code, out = run(runner, "check", *NEURON, "--claim", "(a - y)*a*(1 - a)*x", "--graph")
    assert code == 0
    assert "local ∂a/∂z = sigmoid'(z)" in out and "✗ local" not in out


def test_check_graph_json_adds_the_graph(runner: CliRunner) -> None:
    code, out = run(runner, "check", *NEURON, "--claim", "(a - y)*x", "--graph", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["diagnosis"] == "missing_factor"
    assert data["graph"]["mistake"]["edge"] == {"from": "z", "to": "a"}
    assert [n["name"] for n in data["graph"]["nodes"]][-1] == "L"


# -- the README --------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def test_readme_graph_example_is_what_the_tool_prints(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ backprop-coach graph --loss", 1)[1].split("```", 1)[0]
    shown = [line.rstrip() for line in block.splitlines()[2:] if line.strip()]
    code, out = run(runner, "graph", *NEURON, *POINT, "--claim", "(a - y)*x")
    assert code == 1
    printed = [line.rstrip() for line in out.splitlines() if line.strip()]
    assert shown == printed[: len(shown)]


def test_readme_pictures_are_in_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("graph-neuron-mistake", "graph-used-twice", "graph-222-units"):
        assert f"docs/{name}.svg" in readme
        svg = (ROOT / "docs" / f"{name}.svg").read_text(encoding="utf-8")
        assert "<svg" in svg
    mistake = (ROOT / "docs" / "graph-neuron-mistake.svg").read_text(encoding="utf-8")
    assert "missing from your gradient" in mistake and "0.1463" in mistake


def test_check_at_graph_draws_the_point_checked(runner: CliRunner) -> None:
    code, out = run(runner, "check", *NEURON, *POINT, "--claim", "0.1463", "--graph")
    assert code == 0, out
    assert "the graph of L, at the --at values" in out
    assert "∂L/∂w = 0.1463" in out


def test_check_graph_refuses_batch(runner: CliRunner, tmp_path: Path) -> None:
    batch = tmp_path / "b.jsonl"
    batch.write_text("{}\n")
    code, out = run(runner, "check", "--batch", str(batch), "--graph")
    assert code == 2 and "--graph draws one claim" in out
