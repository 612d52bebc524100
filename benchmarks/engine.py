"""Engine speed and memory: a 784-256-128-10 network (relu, relu, softmax + cross-entropy),
batch 64, one full step (forward, backward, gradients, updated weights) through the engine's
`trace` against a plain numpy reference written here. Target: at most 1.2x the reference, and
memory that does not grow with the number of steps.

    .venv/bin/python benchmarks/engine.py [STEPS]
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc

import numpy as np

from backprop_coach.engine.backprop import trace
from backprop_coach.engine.network import Layer, Network

SIZES = [784, 256, 128, 10]
BATCH = 64


def make_network(rng: np.random.Generator) -> Network:
    layers = [
        Layer(rng.normal(0, np.sqrt(2 / n_in), (n_out, n_in)), np.zeros((n_out, 1)), act)
        for n_in, n_out, act in zip(SIZES[:-1], SIZES[1:], ["relu", "relu", "softmax"], strict=True)
    ]
    x = rng.normal(size=(SIZES[0], BATCH))
    y = np.eye(SIZES[-1])[:, rng.integers(0, SIZES[-1], BATCH)]
    return Network(layers, "cross_entropy", x, y, lr=0.1, batched=True)


def reference_step(
    Ws: list[np.ndarray], bs: list[np.ndarray], x: np.ndarray, y: np.ndarray, lr: float
) -> float:
    """The textbook step in plain numpy, no abstractions."""
    z1 = Ws[0] @ x + bs[0]
    a1 = np.maximum(z1, 0)
    z2 = Ws[1] @ a1 + bs[1]
    a2 = np.maximum(z2, 0)
    z3 = Ws[2] @ a2 + bs[2]
    e = np.exp(z3 - z3.max(axis=0, keepdims=True))
    p = e / e.sum(axis=0, keepdims=True)
    m = x.shape[1]
    loss = float(-np.sum(y * np.log(np.clip(p, 1e-12, None))) / m)
    d3 = (p - y) / m
    d2 = (Ws[2].T @ d3) * (z2 > 0)
    d1 = (Ws[1].T @ d2) * (z1 > 0)
    grads = [
        (d1 @ x.T, d1.sum(1, keepdims=True)),
        (d2 @ a1.T, d2.sum(1, keepdims=True)),
        (d3 @ a2.T, d3.sum(1, keepdims=True)),
    ]
    _ = [
        (W - lr * dW, b - lr * db)
        for (W, b), (dW, db) in zip(zip(Ws, bs, strict=True), grads, strict=True)
    ]
    return loss


def median_time(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    net = make_network(np.random.default_rng(0))
    Ws = [layer.W for layer in net.layers]
    bs = [layer.b for layer in net.layers]

    ours = trace(net, check_gradients=False)
    ref_loss = reference_step(Ws, bs, net.x, net.y, net.lr)
    assert abs(ours.loss - ref_loss) < 1e-12, "engine and reference disagree"

    for _ in range(10):  # warm up BLAS and caches
        trace(net, check_gradients=False)
        reference_step(Ws, bs, net.x, net.y, net.lr)
    # interleave rounds so drift in machine load affects both alike
    engine_times, ref_times = [], []
    for _ in range(5):
        engine_times.append(median_time(lambda: trace(net, check_gradients=False), steps // 5))
        ref_times.append(
            median_time(lambda: reference_step(Ws, bs, net.x, net.y, net.lr), steps // 5)
        )
    engine_t, ref_t = statistics.median(engine_times), statistics.median(ref_times)

    tracemalloc.start()
    for _ in range(10):
        trace(net, check_gradients=False)
    early, _ = tracemalloc.get_traced_memory()
    for _ in range(steps):
        trace(net, check_gradients=False)
    late, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"network {'-'.join(map(str, SIZES))}, batch {BATCH}, {steps} steps")
    print(f"engine step (forward+backward+update): {engine_t * 1000:.2f} ms")
    print(f"plain numpy reference:                 {ref_t * 1000:.2f} ms")
    print(f"ratio: {engine_t / ref_t:.2f}x (target <= 1.2x)")
    print(
        f"memory after 10 steps {early / 1e6:.2f} MB, after {steps + 10}: {late / 1e6:.2f} MB (peak {peak / 1e6:.1f} MB)"
    )


if __name__ == "__main__":
    main()
