"""The computational graph (grading.graph): every node's adjoint against independent oracles
(central finite differences of the loss written in numpy here, and SymPy's diff for scalar
problems), the graph's nodes and edges against the lets, and the local derivatives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from backprop_coach.expr.errors import ExprError
from backprop_coach.expr.problem import problem_from_specs
from backprop_coach.grading.graph import Graph, graph_of

Env = dict[str, np.ndarray]


def sig(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class Case:
    """A problem as `check` takes it, and the same problem written in numpy: each let and the
    loss as a function of the values before it (the oracle)."""

    loss: str
    wrt: str
    lets: list[str]
    shapes: list[str]
    domains: list[str]
    numpy_lets: list[tuple[str, Callable[[Env], np.ndarray]]]
    numpy_loss: Callable[[Env], float]
    sympy: tuple[list[tuple[str, str]], str] | None = None  # lets and loss for sympify


SYMPY_FUNCS = {
    "sigmoid": lambda z: 1 / (1 + sp.exp(-z)),
    "tanh": sp.tanh,
    "exp": sp.exp,
    "log": sp.log,
}

CASES = {
    "neuron": Case(
        "(a - y)^2/2",
        "w",
        ["z=w*x+b", "a=sigmoid(z)"],
        [],
        [],
        [("z", lambda e: e["w"] * e["x"] + e["b"]), ("a", lambda e: sig(e["z"]))],
        lambda e: float((e["a"] - e["y"]) ** 2 / 2),
        ([("z", "w*x+b"), ("a", "sigmoid(z)")], "(a - y)**2/2"),
    ),
    "tanh-neuron": Case(
        "(a - y)^2/2",
        "z",
        ["z=w*x+b", "a=tanh(z)"],
        [],
        [],
        [("z", lambda e: e["w"] * e["x"] + e["b"]), ("a", lambda e: np.tanh(e["z"]))],
        lambda e: float((e["a"] - e["y"]) ** 2 / 2),
        ([("z", "w*x+b"), ("a", "tanh(z)")], "(a - y)**2/2"),
    ),
    "used-twice": Case(
        "(u*v - y)^2",
        "x",
        ["u=x*x", "v=sigmoid(x)+u"],
        [],
        [],
        [("u", lambda e: e["x"] * e["x"]), ("v", lambda e: sig(e["x"]) + e["u"])],
        lambda e: float((e["u"] * e["v"] - e["y"]) ** 2),
        ([("u", "x*x"), ("v", "sigmoid(x)+u")], "(u*v - y)**2"),
    ),
    "shared-weight": Case(
        "(h2 - y)^2/2",
        "w",
        ["h1=tanh(w*x)", "h2=tanh(w*h1)"],
        [],
        [],
        [("h1", lambda e: np.tanh(e["w"] * e["x"])), ("h2", lambda e: np.tanh(e["w"] * e["h1"]))],
        lambda e: float((e["h2"] - e["y"]) ** 2 / 2),
        ([("h1", "tanh(w*x)"), ("h2", "tanh(w*h1)")], "(h2 - y)**2/2"),
    ),
    "bce": Case(
        "-(y*log(p) + (1 - y)*log(1 - p))",
        "z",
        ["z=w*x+b", "p=sigmoid(z)"],
        [],
        ["y=unit"],
        [("z", lambda e: e["w"] * e["x"] + e["b"]), ("p", lambda e: sig(e["z"]))],
        lambda e: float(-(e["y"] * np.log(e["p"]) + (1 - e["y"]) * np.log(1 - e["p"]))),
        ([("z", "w*x+b"), ("p", "sigmoid(z)")], "-(y*log(p) + (1 - y)*log(1 - p))"),
    ),
    "residual": Case(
        "(h + x - y)^2/2",
        "x",
        ["h=relu(w*x)"],
        [],
        [],
        [("h", lambda e: np.maximum(e["w"] * e["x"], 0.0))],
        lambda e: float((e["h"] + e["x"] - e["y"]) ** 2 / 2),
    ),
    "two-layer-scalar": Case(
        "(a2 - y)^2/2",
        "w1",
        ["z1=w1*x", "a1=sigmoid(z1)", "z2=w2*a1", "a2=sigmoid(z2)"],
        [],
        [],
        [
            ("z1", lambda e: e["w1"] * e["x"]),
            ("a1", lambda e: sig(e["z1"])),
            ("z2", lambda e: e["w2"] * e["a1"]),
            ("a2", lambda e: sig(e["z2"])),
        ],
        lambda e: float((e["a2"] - e["y"]) ** 2 / 2),
        (
            [("z1", "w1*x"), ("a1", "sigmoid(z1)"), ("z2", "w2*a1"), ("a2", "sigmoid(z2)")],
            "(a2 - y)**2/2",
        ),
    ),
    "vector-layer": Case(
        "sum((a - y)^2)/2",
        "W",
        ["z=W@x+b", "a=sigmoid(z)"],
        ["W=2x3", "x=3x1", "b=2x1", "y=2x1"],
        [],
        [("z", lambda e: e["W"] @ e["x"] + e["b"]), ("a", lambda e: sig(e["z"]))],
        lambda e: float(np.sum((e["a"] - e["y"]) ** 2) / 2),
    ),
    "matrix-linear": Case(
        "sum((W@x + b - y)^2)/2",
        "W",
        [],
        ["W=2x3", "x=3x1", "b=2x1", "y=2x1"],
        [],
        [],
        lambda e: float(np.sum((e["W"] @ e["x"] + e["b"] - e["y"]) ** 2) / 2),
    ),
    "softmax-ce": Case(
        "-sum(y*log(p))",
        "z",
        ["z=W@x", "p=softmax(z)"],
        ["W=3x2", "x=2x1", "y=3x1"],
        ["y=onehot"],
        [
            ("z", lambda e: e["W"] @ e["x"]),
            ("p", lambda e: np.exp(e["z"]) / np.sum(np.exp(e["z"]))),
        ],
        lambda e: float(-np.sum(e["y"] * np.log(e["p"]))),
    ),
    "batch-rows": Case(
        "sum((H - Y)^2)/2",
        "W",
        ["H=tanh(X@W + b)"],
        ["X=4x3", "W=3x2", "b=1x2", "Y=4x2"],
        [],
        [("H", lambda e: np.tanh(e["X"] @ e["W"] + e["b"]))],
        lambda e: float(np.sum((e["H"] - e["Y"]) ** 2) / 2),
    ),
    "vector-used-twice": Case(
        "sum(h*h)/2 + sum(h)",
        "v",
        ["h=W@v + v"],
        ["W=2x2", "v=2x1"],
        [],
        [("h", lambda e: e["W"] @ e["v"] + e["v"])],
        lambda e: float(np.sum(e["h"] * e["h"]) / 2 + np.sum(e["h"])),
    ),
}


def build(case: Case, seed: int = 0) -> Graph:
    problem = problem_from_specs(case.loss, case.wrt, case.lets, case.shapes, case.domains)
    return graph_of(problem, seed=seed)


def loss_from(case: Case, env: Env, start: str) -> float:
    """The loss with `start` (and everything before it) held at env's values: the lets after
    `start` recomputed."""
    names = [n for n, _ in case.numpy_lets]
    after = names[names.index(start) + 1 :] if start in names else names
    local = dict(env)
    for name, fn in case.numpy_lets:
        if name in after:
            local[name] = fn(local)
    return case.numpy_loss(local)


def finite_difference(case: Case, env: Env, name: str, h: float = 1e-6) -> np.ndarray:
    value = env[name]
    out = np.zeros_like(value, dtype=float)
    for index in np.ndindex(value.shape):
        up, down = dict(env), dict(env)
        up[name] = np.array(value, dtype=float)
        down[name] = np.array(value, dtype=float)
        up[name][index] += h
        down[name][index] -= h
        out[index] = (loss_from(case, up, name) - loss_from(case, down, name)) / (2 * h)
    return out


def inputs_of(graph: Graph) -> Env:
    return {
        n.name: np.array(n.value.reshape(-1)[0] if n.shape is None else n.value, dtype=float)
        for n in graph.nodes
        if n.kind == "input"
    }


@pytest.mark.parametrize("key", list(CASES))
def test_every_adjoint_equals_finite_differences_of_the_loss(key: str) -> None:
    case = CASES[key]
    for seed in (0, 1, 2):
        graph = build(case, seed)
        env = inputs_of(graph)
        for name, fn in case.numpy_lets:
            env[name] = fn(env)
        for node in graph.nodes:
            if node.kind == "loss":
                assert float(node.value.reshape(-1)[0]) == pytest.approx(case.numpy_loss(env))
                continue
            assert np.allclose(node.value.reshape(np.shape(env[node.name])), env[node.name])
            expected = finite_difference(case, env, node.name)
            assert np.allclose(node.grad.reshape(expected.shape), expected, rtol=1e-5, atol=1e-6), (
                key,
                seed,
                node.name,
            )


def sympy_adjoints(case: Case, point: dict[str, float]) -> dict[str, float]:
    """∂L/∂node for every node by SymPy's diff: the loss with the lets after the node written
    out in terms of it, everything before it held at its value."""
    assert case.sympy is not None
    lets, loss_text = case.sympy
    defs = [(name, sp.sympify(text, locals=SYMPY_FUNCS)) for name, text in lets]
    loss = sp.sympify(loss_text, locals=SYMPY_FUNCS)
    values = {sp.Symbol(n): sp.Float(v, 30) for n, v in point.items()}
    for name, expr in defs:
        values[sp.Symbol(name)] = expr.subs(values)
    out = {}
    names = [n for n, _ in defs]
    for symbol in values:
        after = names[names.index(symbol.name) + 1 :] if symbol.name in names else names
        expr = loss
        for name, definition in reversed(defs):
            if name in after:
                expr = expr.subs(sp.Symbol(name), definition)
        out[symbol.name] = float(sp.diff(expr, symbol).subs(values))
    return out


@pytest.mark.parametrize("key", [k for k, c in CASES.items() if c.sympy is not None])
def test_every_adjoint_equals_sympy_diff(key: str) -> None:
    case = CASES[key]
    graph = build(case)
    point = {n.name: float(n.value.reshape(-1)[0]) for n in graph.nodes if n.kind == "input"}
    expected = sympy_adjoints(case, point)
    for node in graph.nodes:
        if node.kind != "loss":
            assert float(node.grad.reshape(-1)[0]) == pytest.approx(
                expected[node.name], rel=1e-9, abs=1e-12
            )


def test_nodes_and_edges_match_the_lets() -> None:
    graph = build(CASES["neuron"])
    assert [(n.name, n.kind) for n in graph.nodes] == [
        ("w", "input"), ("x", "input"), ("b", "input"), ("y", "input"),
        ("z", "let"), ("a", "let"), ("L", "loss"),
    ]  # fmt: skip
    assert [(e.source, e.target) for e in graph.edges] == [
        ("w", "z"), ("x", "z"), ("b", "z"), ("z", "a"), ("a", "L"), ("y", "L"),
    ]  # fmt: skip
    assert graph.node("z").definition == "w*x + b"
    assert graph.node("L").definition == "(a - y)^2/2"


def test_local_derivatives_symbolic_and_numeric() -> None:
    graph = build(CASES["neuron"])
    x = float(graph.node("x").value.reshape(-1)[0])
    a = float(graph.node("a").value.reshape(-1)[0])
    local = {(e.source, e.target): e for e in graph.edges}
    assert local[("w", "z")].local == "x"
    assert float(local[("w", "z")].local_value.reshape(-1)[0]) == pytest.approx(x)  # type: ignore[union-attr]
    assert local[("z", "a")].local == "sigmoid'(z)"
    assert float(local[("z", "a")].local_value.reshape(-1)[0]) == pytest.approx(a * (1 - a))  # type: ignore[union-attr]


def test_gradients_add_where_paths_meet() -> None:
    graph = build(CASES["used-twice"])
    parts = [e.pullback for e in graph.out_of("x")]
    assert len(parts) == 2
    assert np.allclose(sum(parts), graph.node("x").grad)
    assert not np.allclose(parts[0], graph.node("x").grad)


def test_an_elementwise_matrix_edge_has_its_diagonal_and_a_full_jacobian_has_none() -> None:
    graph = build(CASES["vector-layer"])
    local = {(e.source, e.target): e for e in graph.edges}
    a = graph.node("a").value
    assert local[("z", "a")].local_value is not None
    assert np.allclose(local[("z", "a")].local_value, a * (1 - a))
    assert local[("W", "z")].local_value is None
    softmax = build(CASES["softmax-ce"])
    assert {(e.source, e.target): e for e in softmax.edges}[("z", "p")].local_value is None


def test_at_sets_a_value_and_refuses_a_matrix_or_unknown_name() -> None:
    case = CASES["neuron"]
    problem = problem_from_specs(case.loss, case.wrt, case.lets)
    graph = graph_of(
        problem, at={"w": Fraction(1, 2), "x": Fraction(1), "b": Fraction(0), "y": Fraction(0)}
    )
    # ∂L/∂w = (σ(0.5) − 0)·σ'(0.5)·1, computed by hand from σ(0.5) = 0.6224593312
    s = 0.6224593312018546
    assert float(graph.node("w").grad.reshape(-1)[0]) == pytest.approx(s * s * (1 - s))
    with pytest.raises(ExprError, match="not an input"):
        graph_of(problem, at={"q": Fraction(1)})
    matrix = CASES["matrix-linear"]
    with pytest.raises(ExprError, match="matrix"):
        graph_of(
            problem_from_specs(matrix.loss, matrix.wrt, [], matrix.shapes),
            at={"W": Fraction(1)},
        )


def test_json_shape_and_values() -> None:
    data = build(CASES["vector-layer"]).to_json()
    names = [n["name"] for n in data["nodes"]]  # type: ignore[index]
    assert names[-1] == "L"
    W = next(n for n in data["nodes"] if n["name"] == "W")  # type: ignore[union-attr]
    assert W["shape"] == [2, 3]
    assert len(W["value"]) == 2 and len(W["value"][0]) == 3
    assert {"from", "to", "local"} <= set(data["edges"][0])  # type: ignore[index]


FUNCTION_NAMES = {"sigmoid", "tanh", "relu", "log", "exp", "sum", "softmax"}


def names_in(text: str) -> list[str]:
    """The quantities a formula uses, read with a regular expression (not the parser)."""
    import re

    found = [n for n in re.findall(r"[A-Za-z_][A-Za-z_0-9]*", text) if n not in FUNCTION_NAMES]
    return list(dict.fromkeys(found))


@pytest.mark.parametrize("key", list(CASES))
def test_every_case_has_one_node_per_name_and_one_edge_per_use(key: str) -> None:
    case = CASES[key]
    graph = build(case)
    lets = [spec.split("=", 1) for spec in case.lets]
    let_names = [name for name, _ in lets]
    inputs = [
        n for n in names_in(" ".join([*(t for _, t in lets), case.loss])) if n not in let_names
    ]
    assert sorted(n.name for n in graph.nodes if n.kind == "input") == sorted(inputs)
    assert [n.name for n in graph.nodes if n.kind == "let"] == let_names
    expected = {(u, v) for v, text in lets for u in names_in(text)}
    expected |= {(u, "L") for u in names_in(case.loss)}
    assert {(e.source, e.target) for e in graph.edges} == expected
