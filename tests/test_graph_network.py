"""`trace --graph`: a network's graph at layer and unit level, its gradients against the
published numbers of the classic 2-2-2 example (Mazur, "A Step by Step Backpropagation
Example", 2015) and against finite differences of the loss."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from backprop_coach.cli import app
from backprop_coach.engine.backprop import forward, loss_value, trace
from backprop_coach.engine.network import network_from_dict, random_network
from backprop_coach.grading.graph_network import layer_graph, unit_graph
from tests.test_help_examples import NET


def classic():  # type: ignore[no-untyped-def]
    return trace(network_from_dict(json.loads(NET)))


# Mazur's published values: E_total and ∂E/∂w for w1 … w8 (w1..w4 are W1 row-major, w5..w8 W2)
PUBLISHED = {
    "W1[0,0]": 0.000438568, "W1[0,1]": 0.000877135, "W1[1,0]": 0.000497713,
    "W1[1,1]": 0.000995425, "W2[0,0]": 0.082167041, "W2[0,1]": 0.082667628,
    "W2[1,0]": -0.022602540, "W2[1,1]": -0.022740242,
}  # fmt: skip


def test_layer_graph_of_the_classic_example_has_the_published_gradients() -> None:
    graph = layer_graph(classic())
    assert float(graph.node("L").value[0, 0]) == pytest.approx(0.298371109, abs=1e-9)
    for key, expected in PUBLISHED.items():
        name, (i, j) = key[:2], (int(key[3]), int(key[5]))
        assert float(graph.node(name).grad[i, j]) == pytest.approx(expected, abs=1e-9), key
    names = [n.name for n in graph.nodes]
    assert names == ["x", "W1", "b1", "z1", "a1", "W2", "b2", "z2", "a2", "L"]
    assert ("a1", "z2") in {(e.source, e.target) for e in graph.edges}


def test_unit_graph_has_every_weight_as_an_edge_with_its_gradient() -> None:
    graph = unit_graph(classic())
    weights = {e.local: e for e in graph.edges if e.local and e.local.startswith("W")}
    assert len(weights) == 8
    for key, expected in PUBLISHED.items():
        assert f"∂L/∂{key} = {expected:.4g}" == weights[key].note
    # the hidden unit a1_1 feeds both outputs: its gradient is the sum of its two paths
    out = graph.out_of("a1_1")
    assert len(out) == 2
    assert np.isclose(
        sum(float(e.pullback[0, 0]) for e in out), float(graph.node("a1_1").grad[0, 0])
    )


def finite_difference(net, layer: int, which: str, h: float = 1e-6) -> np.ndarray:  # type: ignore[no-untyped-def]
    """∂L/∂(W or b of a layer) from the engine's forward pass and loss only."""
    target = getattr(net.layers[layer], which)
    out = np.zeros_like(target)
    for index in np.ndindex(target.shape):
        saved = target[index]
        values = []
        for step in (h, -h):
            target[index] = saved + step
            _, activations = forward(net, net.x)
            values.append(loss_value(net, activations[-1], net.y))
        target[index] = saved
        out[index] = (values[0] - values[1]) / (2 * h)
    return out


@pytest.mark.parametrize(
    ("sizes", "activation", "loss"),
    [([3, 4, 2], "tanh", "half_sse"), ([2, 3, 3], "sigmoid", "cross_entropy")],
)
def test_layer_graph_parameter_gradients_equal_finite_differences(
    sizes: list[int], activation: str, loss: str
) -> None:
    acts = [activation] * (len(sizes) - 2) + (
        ["softmax"] if loss == "cross_entropy" else [activation]
    )
    net = random_network(sizes, acts, loss, seed=3)
    graph = layer_graph(trace(net))
    for l in range(len(net.layers)):
        for which in ("W", "b"):
            expected = finite_difference(net, l, which)
            assert np.allclose(graph.node(f"{which}{l + 1}").grad, expected, atol=1e-7), (l, which)


def test_trace_graph_in_the_terminal_and_as_a_file(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "net.json").write_text(NET)
    result = runner.invoke(
        app, ["trace", "--net", str(tmp_path / "net.json"), "--steps", "forward", "--graph"]
    )
    assert result.exit_code == 0, result.output
    assert "z2 = W2 a1 + b2" in result.output and "∂L/∂W2 = [[0.08217, 0.08267]" in result.output
    result = runner.invoke(
        app,
        ["trace", "--net", str(tmp_path / "net.json"), "--steps", "forward", "--graph-units",
         "--graph-file", str(tmp_path / "units.dot")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "∂L/∂W2[0,0] = 0.08217" in result.output
    dot = (tmp_path / "units.dot").read_text(encoding="utf-8")
    assert dot.count(" -> ") == 8 + 4 + 2  # weights, activations, loss
    if shutil.which("dot") is not None:
        result = runner.invoke(
            app,
            ["trace", "--net", str(tmp_path / "net.json"), "--steps", "forward",
             "--graph-file", str(tmp_path / "layers.svg")],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "<svg" in (tmp_path / "layers.svg").read_text(encoding="utf-8")


def test_unit_level_refuses_a_large_network(runner: CliRunner) -> None:
    result = runner.invoke(app, ["trace", "--layers", "2,8,2", "--seed", "1", "--graph-units"])
    assert result.exit_code == 2
    assert "at most 4 units" in result.output
