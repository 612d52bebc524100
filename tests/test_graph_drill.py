"""The graph drill (`quiz --graph-drill`) and `:graph` in the quiz: each drill's truth against
central finite differences of its loss written here in plain Python, the number rule, the
drill's picture hiding what it asks, and the quiz hooks."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from backprop_coach.bank.grade import grade_derivation
from backprop_coach.cli import app
from backprop_coach.practice import session as s
from backprop_coach.practice.graph_drill import DRILLS, drill_for, drill_questions, grade_drill
from backprop_coach.practice.session import Item, Session
from backprop_coach.render.graph import Asked, render_graph

Env = dict[str, float]


def render_text(renderable: object) -> str:
    import io

    from rich.console import Console

    out = io.StringIO()
    Console(width=100, file=out, color_system=None).print(renderable)
    return out.getvalue()


def sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# each drill in plain Python: its lets in order, then its loss
ORACLE: dict[str, tuple[list[tuple[str, Callable[[Env], float]]], Callable[[Env], float]]] = {
    "product": ([("q", lambda e: e["x"] + e["y"])], lambda e: e["q"] * e["z"]),
    "neuron": (
        [("z", lambda e: e["w"] * e["x"] + e["b"]), ("a", lambda e: sig(e["z"]))],
        lambda e: (e["a"] - e["y"]) ** 2 / 2,
    ),
    "tanh-neuron": (
        [("z", lambda e: e["w"] * e["x"] + e["b"]), ("a", lambda e: math.tanh(e["z"]))],
        lambda e: (e["a"] - e["y"]) ** 2 / 2,
    ),
    "used-twice": (
        [("u", lambda e: e["w"] * e["x"]), ("v", lambda e: e["u"] + e["x"])],
        lambda e: e["v"] ** 2 / 2,
    ),
    "logistic": (
        [("z", lambda e: e["w"] * e["x"] + e["b"]), ("p", lambda e: sig(e["z"]))],
        lambda e: -(e["y"] * math.log(e["p"]) + (1 - e["y"]) * math.log(1 - e["p"])),
    ),
}
QUESTIONS = {q.extra["graph_drill"]: q for q in drill_questions()}


def oracle_gradient(name: str, inputs: Env, target: str, h: float = 1e-6) -> float:
    """∂L/∂target by central differences, the lets after the target recomputed."""
    lets, loss = ORACLE[name]
    env = dict(inputs)
    for let, fn in lets:
        env[let] = fn(env)
    names = [n for n, _ in lets]
    after = names[names.index(target) + 1 :] if target in names else names

    def at(value: float) -> float:
        local = dict(env)
        local[target] = value
        for let, fn in lets:
            if let in after:
                local[let] = fn(local)
        return loss(local)

    return (at(env[target] + h) - at(env[target] - h)) / (2 * h)


def test_every_drill_is_covered_by_the_oracle() -> None:
    assert set(ORACLE) == set(DRILLS) == set(QUESTIONS)


@pytest.mark.parametrize("name", list(DRILLS))
def test_drill_truth_equals_finite_differences(name: str) -> None:
    for seed in range(1, 9):
        drill = drill_for(QUESTIONS[name], seed)
        inputs = {
            n.name: float(n.value.reshape(-1)[0]) for n in drill.graph.nodes if n.kind == "input"
        }
        expected = oracle_gradient(name, inputs, drill.target)
        assert drill.truth == pytest.approx(expected, rel=1e-6, abs=1e-8), (seed, drill.target)


def test_drill_answers_are_judged_by_the_number_rule() -> None:
    q = QUESTIONS["neuron"]
    seed = next(k for k in range(1, 50) if abs(drill_for(q, k).truth) > 0.01)
    truth = drill_for(q, seed).truth
    rounded = f"{truth:.3g}"
    assert grade_drill(q, rounded, seed).verdict == "correct"
    digits = 3 - 1 - math.floor(math.log10(abs(truth)))
    truncated = f"{math.trunc(truth * 10**digits) / 10**digits:.{digits}f}"
    if truncated != rounded:
        assert grade_drill(q, truncated, seed).diagnosis == "rounding"
    assert grade_drill(q, "0.5", seed).verdict == "invalid"  # one figure: no attempt used
    wrong = grade_drill(q, f"{truth * 2 + 1:.4g}", seed)
    assert wrong.verdict == "incorrect" and rounded not in wrong.message


def test_the_drill_picture_hides_the_asked_gradient_and_shows_the_ones_above() -> None:
    q = QUESTIONS["neuron"]
    drill = drill_for(q, 5)
    text = render_text(render_graph(drill.graph, asked=Asked(drill.target, frozenset(drill.shown))))
    assert f"∂L/∂{drill.target} = ?" in text
    assert f"{drill.truth:.4g}" not in text
    for above in drill.shown:
        grad = float(drill.graph.node(above).grad.reshape(-1)[0])
        assert f"{grad:.4g}" in text


def test_graph_drill_in_the_quiz(runner: CliRunner) -> None:
    rng = random.Random(11)
    seed = rng.randrange(1, 10**6)
    first = drill_questions()[0]
    truth = drill_for(first, seed).truth
    result = runner.invoke(app, ["quiz", "--graph-drill", "-n", "1", "--seed", "11"],
                           input=f"{truth:.4g}\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "= ?   ◀ find this" in result.output
    assert "✓ correct" in result.output


def test_graph_in_the_quiz_marks_the_last_wrong_answer(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["quiz", "--question", "sigmoid-neuron-dw"], input="(a - y)*x\n:graph\n:quit\n"
    )
    assert result.exit_code == 0, result.output
    assert "✗ local ∂a/∂z = sigmoid'(z)" in result.output
    assert "missing the local derivative of the edge z → a" in " ".join(result.output.split())


def test_graph_counts_as_a_hint_for_the_schedule() -> None:
    from backprop_coach.bank.load import load_bank, shipped_bank

    question = load_bank(dirs=[shipped_bank()]).get("sigmoid-neuron-dw")

    def grader(item: Item, text: str, previous: str | None):  # type: ignore[no-untyped-def]
        return grade_derivation(item.question, text, previous)

    session = Session([Item(question, 7)], grader, lambda: 1000.0)
    session.start()
    events = session.handle(":graph")
    assert isinstance(events[0], s.GraphRequest) and events[0].verdict is None
    done = session.handle("(a - y)*a*(1 - a)*x")
    assert next(e for e in done if isinstance(e, s.Record)).rating == "hard"
