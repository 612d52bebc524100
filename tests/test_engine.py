"""The numpy engine against independent oracles: numbers worked by hand, sympy.diff,
finite differences written here, and batch-versus-example consistency."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from backprop_coach.engine.activations import ACTIVATIONS
from backprop_coach.engine.backprop import trace
from backprop_coach.engine.losses import LOSSES
from backprop_coach.engine.network import NetSpecError, network_from_dict, random_network

MAZUR = {
    "layers": [
        {"W": [[0.15, 0.2], [0.25, 0.3]], "b": [0.35, 0.35], "activation": "sigmoid"},
        {"W": [[0.4, 0.45], [0.5, 0.55]], "b": [0.6, 0.6], "activation": "sigmoid"},
    ],
    "loss": "half_sse",
    "x": [0.05, 0.1],
    "y": [0.01, 0.99],
    "lr": 0.5,
    "update_biases": False,
}


def test_textbook_2_2_2_worked_by_hand() -> None:
    """Every number computed here with plain math, one formula at a time."""

    def s(v: float) -> float:
        return 1 / (1 + math.exp(-v))

    x1, x2, y1, y2 = 0.05, 0.1, 0.01, 0.99
    z_h1 = 0.15 * x1 + 0.2 * x2 + 0.35
    z_h2 = 0.25 * x1 + 0.3 * x2 + 0.35
    h1, h2 = s(z_h1), s(z_h2)
    z_o1 = 0.4 * h1 + 0.45 * h2 + 0.6
    z_o2 = 0.5 * h1 + 0.55 * h2 + 0.6
    o1, o2 = s(z_o1), s(z_o2)
    loss = 0.5 * (o1 - y1) ** 2 + 0.5 * (o2 - y2) ** 2
    d_o1 = (o1 - y1) * o1 * (1 - o1)
    d_o2 = (o2 - y2) * o2 * (1 - o2)
    d_h1 = (0.4 * d_o1 + 0.5 * d_o2) * h1 * (1 - h1)
    d_h2 = (0.45 * d_o1 + 0.55 * d_o2) * h2 * (1 - h2)

    t = trace(network_from_dict(MAZUR))
    assert t.loss == pytest.approx(loss, rel=1e-12)
    assert t.loss == pytest.approx(0.298371109, abs=1e-9)  # the published figure
    np.testing.assert_allclose(t.layers[0].a[:, 0], [h1, h2], rtol=1e-12)
    np.testing.assert_allclose(t.layers[1].delta[:, 0], [d_o1, d_o2], rtol=1e-12)
    np.testing.assert_allclose(t.layers[0].delta[:, 0], [d_h1, d_h2], rtol=1e-12)
    np.testing.assert_allclose(
        t.layers[1].dW, [[d_o1 * h1, d_o1 * h2], [d_o2 * h1, d_o2 * h2]], rtol=1e-12
    )
    np.testing.assert_allclose(
        t.layers[0].dW, [[d_h1 * x1, d_h1 * x2], [d_h2 * x1, d_h2 * x2]], rtol=1e-12
    )
    assert t.layers[1].W_new[0, 0] == pytest.approx(0.4 - 0.5 * d_o1 * h1, rel=1e-12)
    assert t.layers[1].W_new[0, 0] == pytest.approx(0.35891648, abs=1e-8)  # published
    assert t.layers[0].W_new[0, 0] == pytest.approx(0.149780716, abs=1e-9)  # published
    np.testing.assert_array_equal(t.layers[0].b_new[:, 0], [0.35, 0.35])  # frozen
    assert t.max_rel_error is not None and t.max_rel_error < 1e-7


SYMPY_ACTS = {
    "identity": lambda z: z,
    "sigmoid": lambda z: 1 / (1 + sp.exp(-z)),
    "tanh": sp.tanh,
    "softplus": lambda z: sp.log(1 + sp.exp(z)),
    "relu": lambda z: sp.Piecewise((z, z > 0), (0, True)),
    "leaky_relu": lambda z: sp.Piecewise((z, z > 0), (z / 100, True)),
}

PAIRS = [(act, loss) for act in SYMPY_ACTS for loss in ("mse", "half_sse")]
PAIRS += [("sigmoid", "bce"), ("softmax", "cross_entropy")]


def _sympy_loss(net_dict: dict, W_syms: list, b_syms: list) -> sp.Expr:  # type: ignore[type-arg]
    """The loss of one batch written out with sympy, independently of the engine."""
    xs = net_dict["x"] if isinstance(net_dict["x"][0], list) else [net_dict["x"]]
    ys = net_dict["y"] if isinstance(net_dict["y"][0], list) else [net_dict["y"]]
    total = sp.Integer(0)
    elements = 0
    for x, y in zip(xs, ys, strict=True):
        a = sp.Matrix(x)
        for W, b, layer in zip(W_syms, b_syms, net_dict["layers"], strict=True):
            z = W * a + b
            if layer["activation"] == "softmax":
                e = z.applyfunc(sp.exp)
                a = e / sum(e)
            else:
                a = z.applyfunc(SYMPY_ACTS[layer["activation"]])
        for ai, yi in zip(a, y, strict=True):
            elements += 1
            if net_dict["loss"] in ("mse", "half_sse"):
                total += (ai - yi) ** 2
            elif net_dict["loss"] == "bce":
                total += -(yi * sp.log(ai) + (1 - yi) * sp.log(1 - ai))
            else:
                total += -yi * sp.log(ai)
    if net_dict["loss"] == "half_sse":
        return total / 2
    if net_dict["loss"] == "cross_entropy":
        return total / len(xs)
    return total / elements


@pytest.mark.parametrize(("act", "loss"), PAIRS)
def test_gradients_match_sympy_diff(act: str, loss: str) -> None:
    net = random_network([2, 2, 2], act if act != "softmax" else "tanh", loss, seed=3)
    if act == "softmax":
        assert net.layers[-1].activation == "softmax"
    data = net.to_json()
    data["x"] = [data["x"], [0.3, -0.7]]  # a batch of two
    data["y"] = [data["y"], data["y"][::-1]]
    net = network_from_dict(data)
    W_syms = [
        sp.Matrix(*lay.W.shape, lambda i, j, l=l: sp.Symbol(f"W{l}_{i}{j}"))
        for l, lay in enumerate(net.layers)
    ]
    b_syms = [
        sp.Matrix(lay.b.shape[0], 1, lambda i, j, l=l: sp.Symbol(f"b{l}_{i}"))
        for l, lay in enumerate(net.layers)
    ]
    L = _sympy_loss(data, W_syms, b_syms)
    values = {}
    for lay, W, b in zip(net.layers, W_syms, b_syms, strict=True):
        values.update({W[i, j]: lay.W[i, j] for i in range(W.rows) for j in range(W.cols)})
        values.update({b[i]: lay.b[i, 0] for i in range(b.rows)})
    t = trace(net, check_gradients=False)
    assert t.loss == pytest.approx(float(L.subs(values)), rel=1e-10)
    for lt, W, b in zip(t.layers, W_syms, b_syms, strict=True):
        for i in range(W.rows):
            for j in range(W.cols):
                expected = float(sp.diff(L, W[i, j]).subs(values))
                assert lt.dW[i, j] == pytest.approx(expected, rel=1e-9, abs=1e-12)
            assert lt.db[i, 0] == pytest.approx(
                float(sp.diff(L, b[i]).subs(values)), rel=1e-9, abs=1e-12
            )


def _finite_difference(net, param: np.ndarray, idx: tuple[int, int], h: float = 1e-6) -> float:  # type: ignore[no-untyped-def]
    saved = param[idx]
    param[idx] = saved + h
    plus = trace(net, check_gradients=False).loss
    param[idx] = saved - h
    minus = trace(net, check_gradients=False).loss
    param[idx] = saved
    return (plus - minus) / (2 * h)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "softplus", "identity", "leaky_relu", "relu"])
@pytest.mark.parametrize("loss", ["mse", "half_sse", "cross_entropy"])
def test_gradients_match_finite_differences(act: str, loss: str) -> None:
    net = random_network([3, 4, 3], act, loss, seed=11)
    t = trace(net, check_gradients=False)
    for layer, lt in zip(net.layers, t.layers, strict=True):
        for idx in [(0, 0), (1, 2), (2, 1)]:
            if idx[0] < layer.W.shape[0] and idx[1] < layer.W.shape[1]:
                assert lt.dW[idx] == pytest.approx(
                    _finite_difference(net, layer.W, idx), rel=1e-5, abs=1e-8
                )
        assert lt.db[0, 0] == pytest.approx(
            _finite_difference(net, layer.b, (0, 0)), rel=1e-5, abs=1e-8
        )


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "softplus", "identity"])
@pytest.mark.parametrize("loss", ["mse", "half_sse", "bce", "cross_entropy"])
def test_gradient_check_is_tight_for_smooth_activations(act: str, loss: str) -> None:
    for seed in range(3):
        t = trace(random_network([3, 4, 2], act, loss, seed))
        assert t.max_rel_error is not None and t.max_rel_error < 1e-7


@pytest.mark.parametrize(
    ("loss", "combine"), [("half_sse", "sum"), ("mse", "mean"), ("cross_entropy", "mean")]
)
def test_batch_equals_combined_examples(loss: str, combine: str) -> None:
    base = random_network([2, 3, 3], "tanh", loss, seed=5).to_json()
    xs = [[0.1, -0.4], [0.7, 0.2], [-0.5, 0.9]]
    ys = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    singles = [
        trace(network_from_dict({**base, "x": x, "y": y}), False)
        for x, y in zip(xs, ys, strict=True)
    ]
    batch = trace(network_from_dict({**base, "x": xs, "y": ys}), False)
    reduce = np.sum if combine == "sum" else np.mean
    assert batch.loss == pytest.approx(float(reduce([s.loss for s in singles])), rel=1e-12)
    for l in range(2):
        np.testing.assert_allclose(
            batch.layers[l].dW, reduce([s.layers[l].dW for s in singles], axis=0), rtol=1e-10
        )
        for i, s in enumerate(singles):  # one delta column per example
            scale = 1.0 if combine == "sum" else 1 / len(xs)
            np.testing.assert_allclose(
                batch.layers[l].delta[:, i], scale * s.layers[l].delta[:, 0], rtol=1e-10
            )


def test_softmax_cross_entropy_output_error_is_p_minus_y() -> None:
    t = trace(random_network([2, 3], "identity", "cross_entropy", seed=2), False)
    a, y = t.layers[0].a, t.network.y
    np.testing.assert_allclose(t.layers[0].delta, a - y, rtol=1e-12)


def test_activation_derivatives_against_finite_differences() -> None:
    z = np.linspace(-3, 3, 13) + 0.05  # away from the kink at 0
    for name, act in ACTIVATIONS.items():
        if act.df is None:
            continue
        numeric = (act.f(z + 1e-6) - act.f(z - 1e-6)) / 2e-6
        np.testing.assert_allclose(act.df(z), numeric, rtol=1e-6, atol=1e-9, err_msg=name)


def test_losses_match_pytorch_reductions_by_hand() -> None:
    a = np.array([[0.2, 0.6], [0.7, 0.1]])
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert LOSSES["mse"].value(a, y) == pytest.approx((0.04 + 0.16 + 0.09 + 0.01) / 4)
    assert LOSSES["half_sse"].value(a, y) == pytest.approx((0.04 + 0.16 + 0.09 + 0.01) / 2)
    bce = -(math.log(0.8) + math.log(0.6) + math.log(0.7) + math.log(0.9)) / 4
    assert LOSSES["bce"].value(a, y) == pytest.approx(bce)
    assert LOSSES["cross_entropy"].value(a, y) == pytest.approx(
        -(math.log(0.7) + math.log(0.6)) / 2
    )


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"loss": "hinge"}, "loss: unknown 'hinge'"),
        ({"x": [0.05]}, "layers[0].W: has 2 columns but x has 1"),
        ({"y": [0.1, 0.2, 0.3]}, "y: has 3 values per example but the output layer has 2 units"),
        ({"x": [0.05, float("nan")]}, "x: contains NaN"),
        ({"lr": -1}, "lr: expected a non-negative number"),
        ({"layers": []}, "layers: expected a non-empty list"),
        ({"update_biases": "yes"}, "update_biases: expected true or false"),
        ({"colour": 1}, "unknown field(s): colour"),
    ],
)
def test_malformed_nets_name_the_field(change: dict, fragment: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(NetSpecError) as info:
        network_from_dict({**MAZUR, **change})
    assert fragment in str(info.value)


def test_malformed_layers_name_the_field() -> None:
    bad_act = {
        **MAZUR,
        "layers": [MAZUR["layers"][0], {**MAZUR["layers"][1], "activation": "swish"}],
    }
    with pytest.raises(NetSpecError, match=r"layers\[1\].activation: unknown 'swish'"):
        network_from_dict(bad_act)
    softmax_first = {
        **MAZUR,
        "layers": [{**MAZUR["layers"][0], "activation": "softmax"}, MAZUR["layers"][1]],
    }
    with pytest.raises(NetSpecError, match="last layer only"):
        network_from_dict(softmax_first)
    chain = {**MAZUR, "layers": [MAZUR["layers"][0], {**MAZUR["layers"][1], "W": [[0.4], [0.5]]}]}
    with pytest.raises(NetSpecError, match=r"layers\[1\].W: has 1 columns but layers\[0\] has 2"):
        network_from_dict(chain)
    with pytest.raises(NetSpecError, match=r"layers\[0\].b: expected 2 biases"):
        network_from_dict(
            {**MAZUR, "layers": [{**MAZUR["layers"][0], "b": [1]}, MAZUR["layers"][1]]}
        )
    with pytest.raises(NetSpecError, match="cross_entropy needs a softmax"):
        network_from_dict({**MAZUR, "loss": "cross_entropy"})


def test_random_networks_are_reproducible_and_hand_sized() -> None:
    a = random_network([2, 2, 1], "sigmoid", "half_sse", seed=9).to_json()
    b = random_network([2, 2, 1], "sigmoid", "half_sse", seed=9).to_json()
    assert a == b
    weights = [w for layer in a["layers"] for row in layer["W"] for w in row]
    assert all(round(w, 2) == w for w in weights)


def test_the_bank_knows_exactly_the_engines_activations_and_losses() -> None:
    """bank.load checks names against a numpy-free list (start-up); it must be the engine's."""
    from backprop_coach.engine.activations import ACTIVATIONS
    from backprop_coach.engine.losses import LOSSES
    from backprop_coach.engine.names import ACTIVATION_NAMES, LOSS_NAMES

    assert tuple(ACTIVATIONS) == ACTIVATION_NAMES
    assert tuple(LOSSES) == LOSS_NAMES
