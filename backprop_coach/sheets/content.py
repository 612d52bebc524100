"""The cheat sheets. Every Identity is proved by the checker in the test suite."""

from __future__ import annotations

from backprop_coach.grading.problem import Problem
from backprop_coach.sheets.model import Code, Definition, Identity, Note, Section, Sheet

NEURON = (("z", "w*x + b"), ("a", "sigmoid(z)"))
LAYER = (("z", "W@x + b"), ("a", "sigmoid(z)"))
LAYER_SHAPES = {"W": (2, 3), "x": (3, 1), "b": (2, 1), "y": (2, 1)}
TWO = (("z1", "W1@x + b1"), ("a1", "sigmoid(z1)"), ("z2", "W2@a1 + b2"), ("a2", "sigmoid(z2)"))
TWO_SHAPES = {"W1": (3, 2), "b1": (3, 1), "W2": (2, 3), "b2": (2, 1), "x": (2, 1), "y": (2, 1)}
SSE2 = "sum((a2 - y)^2)/2"
D2 = "(a2 - y)*sigmoid'(z2)"
D1 = f"(W2.T @ ({D2}))*sigmoid'(z1)"
VEC3 = {"a": (3, 1), "y": (3, 1)}

FORWARD = Sheet(
    "forward",
    "Forward pass",
    (
        Section(
            "one layer",
            (
                Definition("pre-activation", "zˡ = Wˡ aˡ⁻¹ + bˡ      (a⁰ = x)"),
                Definition("activation", "aˡ = f(zˡ), elementwise"),
                Definition("shapes", "Wˡ is (units in l) × (units in l−1); bˡ, zˡ, aˡ are columns"),
                Definition("a batch", "Zˡ = Wˡ Aˡ⁻¹ + bˡ 1ᵀ: one column per example"),
            ),
        ),
        Section(
            "the loss",
            (
                Definition("half SSE", "L = ½ Σ (a − y)²"),
                Definition("MSE", "L = (1/n) Σ (a − y)²"),
                Definition("BCE", "L = −Σ [y log a + (1 − y) log(1 − a)]"),
                Definition("cross-entropy", "L = −Σ y log p,  p = softmax(z)"),
            ),
        ),
        Section(
            "what the forward pass hands to the backward pass",
            (
                Identity(
                    "z is linear in W",
                    "∂(gᵀ W a)/∂W = g aᵀ: the input a is all backprop needs from the forward pass",
                    Problem("sum(g*(W@a))", "W", (), {"g": (2, 1), "W": (2, 3), "a": (3, 1)}),
                    "g @ a.T",
                ),
                Note(
                    "Keep every aˡ (and zˡ) from the forward pass: the backward pass reuses them."
                ),
            ),
        ),
    ),
    ("single-neuron", "numeric"),
)

BACKWARD = Sheet(
    "backward",
    "Backward pass: the four equations",
    (
        Section(
            "errors",
            (
                Identity(
                    "BP1 output error",
                    "δᴸ = ∇ₐL ⊙ f'(zᴸ)",
                    Problem("sum((a - y)^2)/2", "z", LAYER, LAYER_SHAPES),
                    "(a - y)*sigmoid'(z)",
                ),
                Identity(
                    "BP2 recurrence",
                    "δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ f'(zˡ)",
                    Problem(SSE2, "z1", TWO, TWO_SHAPES),
                    D1,
                ),
                Identity(
                    "to the layer below",
                    "∂L/∂aˡ⁻¹ = (Wˡ)ᵀ δˡ",
                    Problem(SSE2, "a1", TWO, TWO_SHAPES),
                    f"W2.T @ ({D2})",
                ),
            ),
        ),
        Section(
            "parameters",
            (
                Identity(
                    "BP3 biases",
                    "∂L/∂bˡ = δˡ",
                    Problem(SSE2, "b1", TWO, TWO_SHAPES),
                    D1,
                ),
                Identity(
                    "BP4 weights",
                    "∂L/∂Wˡ = δˡ (aˡ⁻¹)ᵀ",
                    Problem(SSE2, "W2", TWO, TWO_SHAPES),
                    f"({D2}) @ a1.T",
                ),
                Identity(
                    "first layer",
                    "∂L/∂W¹ = δ¹ xᵀ",
                    Problem(SSE2, "W1", TWO, TWO_SHAPES),
                    f"({D1}) @ x.T",
                ),
                Note("Shape check: ∂L/∂W always has W's shape; δ (n×1) times aᵀ (1×m)."),
            ),
        ),
        Section(
            "the loops",
            (
                Code(
                    "forward, backward, update",
                    "a[0] = x\n"
                    "for l in 1..L:            # forward\n"
                    "    z[l] = W[l] @ a[l-1] + b[l]\n"
                    "    a[l] = f(z[l])\n"
                    "delta[L] = dL_da(a[L], y) * f'(z[L])\n"
                    "for l in L-1..1:          # backward\n"
                    "    delta[l] = (W[l+1].T @ delta[l+1]) * f'(z[l])\n"
                    "for l in 1..L:            # gradients and update\n"
                    "    dW[l] = delta[l] @ a[l-1].T\n"
                    "    db[l] = delta[l].sum(axis=1)\n"
                    "    W[l] -= lr * dW[l];  b[l] -= lr * db[l]",
                ),
            ),
        ),
    ),
    ("output-error", "delta-recurrence", "weight-gradients"),
)

ACTIVATIONS = Sheet(
    "activations",
    "Activations and their derivatives",
    (
        Section(
            "f and f'",
            (
                Identity(
                    "sigmoid",
                    "σ(z) = 1/(1+e⁻ᶻ),  σ'(z) = σ(z)(1 − σ(z))",
                    Problem("sigmoid(z)", "z"),
                    "sigmoid(z)*(1 - sigmoid(z))",
                ),
                Identity(
                    "tanh", "tanh'(z) = 1 − tanh²(z)", Problem("tanh(z)", "z"), "1 - tanh(z)^2"
                ),
                Identity(
                    "ReLU",
                    "relu(z) = max(0, z),  relu'(z) = 1 if z > 0 else 0",
                    Problem("relu(z)", "z"),
                    "step(z)",
                ),
                Identity(
                    "leaky ReLU",
                    "f(z) = max(z, 0.01z),  f'(z) = 1 if z > 0 else 0.01",
                    Problem("max(z, 0.01*z)", "z"),
                    "step(z) + 0.01*step(-z)",
                ),
                Identity(
                    "softplus",
                    "softplus(z) = log(1+eᶻ),  softplus'(z) = σ(z)",
                    Problem("softplus(z)", "z"),
                    "sigmoid(z)",
                ),
            ),
        ),
        Section(
            "softmax",
            (
                Definition("Jacobian", "∂pᵢ/∂zⱼ = pᵢ(δᵢⱼ − pⱼ),  i.e.  J = diag(p) − p pᵀ"),
                Identity(
                    "vector-Jacobian product",
                    "Jᵀg = p ⊙ (g − pᵀg): never build J",
                    Problem("sum(g*softmax(z))", "z", (), {"z": (3, 1), "g": (3, 1)}),
                    "softmax(z)*(g - sum(g*softmax(z)))",
                ),
            ),
        ),
    ),
    ("activations",),
)

LOSSES = Sheet(
    "losses",
    "Losses and their gradients",
    (
        Section(
            "with respect to the output",
            (
                Identity(
                    "half SSE",
                    "L = ½Σ(a − y)²  →  ∂L/∂a = a − y",
                    Problem("sum((a - y)^2)/2", "a", (), VEC3),
                    "a - y",
                ),
                Identity(
                    "MSE",
                    "L = (1/n)Σ(a − y)²  →  ∂L/∂a = 2(a − y)/n",
                    Problem("mean((a - y)^2)", "a", (), VEC3),
                    "2*(a - y)/3",
                ),
                Identity(
                    "BCE",
                    "L = −[y log a + (1 − y) log(1 − a)]  →  ∂L/∂a = (a − y) / (a(1 − a))",
                    Problem(
                        "-(y*log(a) + (1 - y)*log(1 - a))", "a", (), {}, {"a": "unit", "y": "unit"}
                    ),
                    "(a - y)/(a*(1 - a))",
                ),
                Identity(
                    "cross-entropy",
                    "L = −Σ y log p  →  ∂L/∂p = −y/p",
                    Problem(
                        "-sum(y*log(p))",
                        "p",
                        (),
                        {"y": (3, 1), "p": (3, 1)},
                        {"y": "onehot", "p": "simplex"},
                    ),
                    "-y/p",
                ),
            ),
        ),
        Section(
            "with respect to the logits: the pairs that cancel",
            (
                Identity(
                    "BCE ∘ sigmoid",
                    "a = σ(z)  →  ∂L/∂z = a − y",
                    Problem(
                        "-(y*log(a) + (1 - y)*log(1 - a))",
                        "z",
                        (("a", "sigmoid(z)"),),
                        {},
                        {"y": "unit"},
                    ),
                    "a - y",
                ),
                Identity(
                    "cross-entropy ∘ softmax",
                    "p = softmax(z), one-hot y  →  ∂L/∂z = p − y",
                    Problem(
                        "-sum(y*log(softmax(z)))",
                        "z",
                        (),
                        {"z": (3, 1), "y": (3, 1)},
                        {"y": "onehot"},
                    ),
                    "softmax(z) - y",
                ),
                Note("p − y needs Σy = 1 (one-hot or probabilities); in general ∂L/∂z = p·Σy − y."),
                Note(
                    "PyTorch reductions: MSELoss and BCELoss average over all elements; CrossEntropyLoss over the batch."
                ),
            ),
        ),
    ),
    ("losses", "output-error"),
)

UPDATE = Sheet(
    "update",
    "Updates: gradient descent, learning rate, L2",
    (
        Section(
            "gradient descent",
            (
                Definition("step", "W ← W − η ∂L/∂W,   b ← b − η ∂L/∂b"),
                Definition("momentum", "v ← μv + ∂L/∂W,   W ← W − ηv"),
                Identity(
                    "a mean over the batch",
                    "L = (1/m) Σᵢ Lᵢ  →  ∂L/∂W = (1/m) Δ Xᵀ",
                    Problem(
                        "sum((W@X - Y)^2)/(2*4)", "W", (), {"W": (2, 3), "X": (3, 4), "Y": (2, 4)}
                    ),
                    "(W@X - Y) @ X.T/4",
                ),
                Note(
                    "Too large an η diverges or oscillates; too small crawls. Summing instead of averaging scales the effective η by m."
                ),
            ),
        ),
        Section(
            "L2 regularization (weight decay)",
            (
                Identity(
                    "gradient",
                    "∂/∂W [L + (λ/2)‖W‖²] = ∂L/∂W + λW",
                    Problem(
                        "sum((W@x - y)^2)/2 + λ/2*sum(W^2)",
                        "W",
                        (),
                        {"W": (2, 2), "x": (2, 1), "y": (2, 1)},
                    ),
                    "(W@x - y) @ x.T + λ*W",
                ),
                Definition("as an update", "W ← (1 − ηλ) W − η ∂L/∂W"),
                Note("Biases are usually not decayed."),
            ),
        ),
    ),
    ("update-rule", "regularization", "batching"),
)

PITFALLS = Sheet(
    "pitfalls",
    "Pitfalls interviewers probe",
    (
        Section(
            "gradients that vanish or explode",
            (
                Note(
                    "δ¹ is a product of one factor (Wˡ)ᵀ·f'(zˡ) per layer: below 1 it vanishes, above 1 it explodes."
                ),
                Note(
                    "σ'(z) ≤ 1/4 and ≈ 0 when saturated: deep sigmoid stacks vanish. ReLU has slope 1 when active, but can die (slope 0 for z < 0)."
                ),
                Note(
                    "Exploding (RNNs: the same W every step): clip the gradient norm, lower η, orthogonal init, gates (LSTM/GRU)."
                ),
            ),
        ),
        Section(
            "initialization and normalization",
            (
                Definition(
                    "Xavier/Glorot (tanh, sigmoid)", "Var(w) = 1/n_in  or  2/(n_in + n_out)"
                ),
                Definition("He (ReLU)", "Var(w) = 2/n_in"),
                Note(
                    "All-zero or equal weights never break symmetry: every unit gets the same gradient."
                ),
                Note(
                    "Batch norm: x̂ = (x − μ_B)/√(σ²_B + ε), y = γx̂ + β; running averages at test time. Layer norm: over features."
                ),
            ),
        ),
        Section(
            "skip connections",
            (
                Identity(
                    "residual block",
                    "h = a + F(a)  →  ∂h/∂a = 1 + F'(a): the 1 carries the gradient through",
                    Problem("a + tanh(w*a)", "a"),
                    "1 + w*(1 - tanh(w*a)^2)",
                ),
            ),
        ),
        Section(
            "numeric vs automatic differentiation",
            (
                Definition(
                    "central difference",
                    "∂L/∂θ ≈ (L(θ+h) − L(θ−h)) / 2h,  error O(h²),  h ≈ 1e-5 in float64",
                ),
                Definition(
                    "relative error",
                    "|a − n| / max(|a|, |n|):  < 1e-7 good · 1e-7…1e-4 suspicious · > 1e-4 a bug",
                ),
                Note(
                    "Gradient-check in float64, without dropout, away from kinks (ReLU at 0), on a few parameters."
                ),
                Note(
                    "Cost: backprop (reverse mode) gives every gradient for ≈ 2-3× one forward pass; finite differences need 2 passes per parameter."
                ),
            ),
        ),
    ),
    ("concepts", "architectures"),
)

SHEETS: dict[str, Sheet] = {
    s.name: s for s in (FORWARD, BACKWARD, ACTIVATIONS, LOSSES, UPDATE, PITFALLS)
}
