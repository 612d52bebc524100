"""The cheat sheets. Every Identity is proved by the checker in the test suite."""

from __future__ import annotations

from backprop_coach.expr.problem import Problem
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
                Definition(
                    "pre-activation",
                    "zˡ = Wˡ aˡ⁻¹ + bˡ      (a⁰ = x)",
                    r"z^{l} = W^{l} a^{l-1} + b^{l} \quad (a^{0} = x)",
                ),
                Definition(
                    "activation",
                    "aˡ = f(zˡ), elementwise",
                    r"a^{l} = f(z^{l}) \text{, elementwise}",
                ),
                Definition(
                    "shapes",
                    "Wˡ is (units in l) × (units in l−1); bˡ, zˡ, aˡ are columns",
                    r"W^{l} \text{ is (units in } l \text{) × (units in } l - 1 \text{); } b^{l}, z^{l}, a^{l} \text{ are columns}",
                ),
                Definition(
                    "a batch",
                    "Zˡ = Wˡ Aˡ⁻¹ + bˡ 1ᵀ: one column per example",
                    r"Z^{l} = W^{l} A^{l-1} + b^{l} \mathbf{1}^\top \text{: one column per example}",
                ),
            ),
        ),
        Section(
            "the loss",
            (
                Definition("half SSE", "L = ½ Σ (a − y)²", r"L = \frac{1}{2} \sum (a - y)^2"),
                Definition("MSE", "L = (1/n) Σ (a − y)²", r"L = \frac{1}{n} \sum (a - y)^2"),
                Definition(
                    "BCE",
                    "L = −Σ [y log a + (1 − y) log(1 − a)]",
                    r"L = {-\sum \left[ y \log a + (1 - y) \log(1 - a) \right]}",
                ),
                Definition(
                    "cross-entropy",
                    "L = −Σ y log p,  p = softmax(z)",
                    r"L = {-\sum y \log p}, \quad p = \operatorname{softmax}(z)",
                ),
            ),
        ),
        Section(
            "what the forward pass hands to the backward pass",
            (
                Identity(
                    "z is linear in W",
                    "∂(gᵀ W a)/∂W = g aᵀ: the input a is all backprop needs from the forward pass",
                    r"\frac{\partial (g^\top W a)}{\partial W} = g a^\top \text{: the input } a \text{ is all backprop needs from the forward pass}",
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
                    r"\delta^{L} = \nabla_{a} L \odot f'(z^{L})",
                    Problem("sum((a - y)^2)/2", "z", LAYER, LAYER_SHAPES),
                    "(a - y)*sigmoid'(z)",
                ),
                Identity(
                    "BP2 recurrence",
                    "δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ f'(zˡ)",
                    r"\delta^{l} = \left( (W^{l+1})^\top \delta^{l+1} \right) \odot f'(z^{l})",
                    Problem(SSE2, "z1", TWO, TWO_SHAPES),
                    D1,
                ),
                Identity(
                    "to the layer below",
                    "∂L/∂aˡ⁻¹ = (Wˡ)ᵀ δˡ",
                    r"\frac{\partial L}{\partial a^{l-1}} = (W^{l})^\top \delta^{l}",
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
                    r"\frac{\partial L}{\partial b^{l}} = \delta^{l}",
                    Problem(SSE2, "b1", TWO, TWO_SHAPES),
                    D1,
                ),
                Identity(
                    "BP4 weights",
                    "∂L/∂Wˡ = δˡ (aˡ⁻¹)ᵀ",
                    r"\frac{\partial L}{\partial W^{l}} = \delta^{l} (a^{l-1})^\top",
                    Problem(SSE2, "W2", TWO, TWO_SHAPES),
                    f"({D2}) @ a1.T",
                ),
                Identity(
                    "first layer",
                    "∂L/∂W¹ = δ¹ xᵀ",
                    r"\frac{\partial L}{\partial W^{1}} = \delta^{1} x^\top",
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
                    "    db[l] = delta[l].sum(axis=1, keepdims=True)  # (n, 1), like b[l]\n"
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
                    r"\sigma(z) = \frac{1}{1 + e^{-z}}, \quad \sigma'(z) = \sigma(z) (1 - \sigma(z))",
                    Problem("sigmoid(z)", "z"),
                    "sigmoid(z)*(1 - sigmoid(z))",
                ),
                Identity(
                    "tanh",
                    "tanh'(z) = 1 − tanh²(z)",
                    r"\tanh'(z) = 1 - \tanh^2(z)",
                    Problem("tanh(z)", "z"),
                    "1 - tanh(z)^2",
                ),
                Identity(
                    "ReLU",
                    "relu(z) = max(0, z),  relu'(z) = 1 if z > 0 else 0",
                    r"\operatorname{relu}(z) = \max(0, z), \quad \operatorname{relu}'(z) = 1 \text{ if } z > 0 \text{ else } 0",
                    Problem("relu(z)", "z"),
                    "step(z)",
                ),
                Identity(
                    "leaky ReLU",
                    "f(z) = max(z, 0.01z),  f'(z) = 1 if z > 0 else 0.01",
                    r"f(z) = \max(z, 0.01 z), \quad f'(z) = 1 \text{ if } z > 0 \text{ else } 0.01",
                    Problem("max(z, 0.01*z)", "z"),
                    "step(z) + 0.01*step(-z)",
                ),
                Identity(
                    "softplus",
                    "softplus(z) = log(1+eᶻ),  softplus'(z) = σ(z)",
                    r"\operatorname{softplus}(z) = \log(1 + e^{z}), \quad \operatorname{softplus}'(z) = \sigma(z)",
                    Problem("softplus(z)", "z"),
                    "sigmoid(z)",
                ),
            ),
        ),
        Section(
            "softmax",
            (
                Definition(
                    "Jacobian",
                    "∂pᵢ/∂zⱼ = pᵢ(δᵢⱼ − pⱼ),  i.e.  J = diag(p) − p pᵀ",
                    r"\frac{\partial p_i}{\partial z_j} = p_i (\delta_{ij} - p_j) \quad \text{i.e.} \quad J = \operatorname{diag}(p) - p p^\top",
                ),
                Identity(
                    "vector-Jacobian product",
                    "Jᵀg = p ⊙ (g − pᵀg): never build J",
                    r"J^\top g = p \odot (g - p^\top g) \text{: never build } J",
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
                    r"L = \frac{1}{2} \sum (a - y)^2 \quad \to \quad \frac{\partial L}{\partial a} = a - y",
                    Problem("sum((a - y)^2)/2", "a", (), VEC3),
                    "a - y",
                ),
                Identity(
                    "MSE",
                    "L = (1/n)Σ(a − y)²  →  ∂L/∂a = 2(a − y)/n",
                    r"L = \frac{1}{n} \sum (a - y)^2 \quad \to \quad \frac{\partial L}{\partial a} = \frac{2 (a - y)}{n}",
                    Problem("mean((a - y)^2)", "a", (), VEC3),
                    "2*(a - y)/3",
                ),
                Identity(
                    "BCE",
                    "L = −[y log a + (1 − y) log(1 − a)]  →  ∂L/∂a = (a − y) / (a(1 − a))",
                    r"L = {-\left[ y \log a + (1 - y) \log(1 - a) \right]} \quad \to \quad \frac{\partial L}{\partial a} = \frac{a - y}{a (1 - a)}",
                    Problem(
                        "-(y*log(a) + (1 - y)*log(1 - a))", "a", (), {}, {"a": "unit", "y": "unit"}
                    ),
                    "(a - y)/(a*(1 - a))",
                ),
                Identity(
                    "cross-entropy",
                    "L = −Σ y log p  →  ∂L/∂p = −y/p",
                    r"L = {-\sum y \log p} \quad \to \quad \frac{\partial L}{\partial p} = {-\frac{y}{p}}",
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
                    r"a = \sigma(z) \quad \to \quad \frac{\partial L}{\partial z} = a - y",
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
                    r"p = \operatorname{softmax}(z) \text{, one-hot } y \quad \to \quad \frac{\partial L}{\partial z} = p - y",
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
                Definition(
                    "step",
                    "W ← W − η ∂L/∂W,   b ← b − η ∂L/∂b",
                    r"W \leftarrow W - \eta \frac{\partial L}{\partial W}, \quad b \leftarrow b - \eta \frac{\partial L}{\partial b}",
                ),
                Definition(
                    "momentum",
                    "v ← μv + ∂L/∂W,   W ← W − ηv",
                    r"v \leftarrow \mu v + \frac{\partial L}{\partial W}, \quad W \leftarrow W - \eta v",
                ),
                Identity(
                    "a mean over the batch",
                    "L = (1/m) Σᵢ Lᵢ  →  ∂L/∂W = (1/m) Δ Xᵀ",
                    r"L = \frac{1}{m} \sum_{i} L_{i} \quad \to \quad \frac{\partial L}{\partial W} = \frac{1}{m} \Delta X^\top",
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
                    r"\frac{\partial}{\partial W} \left[ L + \frac{\lambda}{2} {\lVert W \rVert}^2 \right] = \frac{\partial L}{\partial W} + \lambda W",
                    Problem(
                        "sum((W@x - y)^2)/2 + λ/2*sum(W^2)",
                        "W",
                        (),
                        {"W": (2, 2), "x": (2, 1), "y": (2, 1)},
                    ),
                    "(W@x - y) @ x.T + λ*W",
                ),
                Definition(
                    "as an update",
                    "W ← (1 − ηλ) W − η ∂L/∂W",
                    r"W \leftarrow (1 - \eta \lambda) W - \eta \frac{\partial L}{\partial W}",
                ),
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
                    "Xavier/Glorot (tanh, sigmoid)",
                    "Var(w) = 1/n_in  or  2/(n_in + n_out)",
                    r"\operatorname{Var}(w) = \frac{1}{n_{\text{in}}} \quad \text{or} \quad \frac{2}{n_{\text{in}} + n_{\text{out}}}",
                ),
                Definition(
                    "He (ReLU)",
                    "Var(w) = 2/n_in",
                    r"\operatorname{Var}(w) = \frac{2}{n_{\text{in}}}",
                ),
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
                    r"h = a + F(a) \quad \to \quad \frac{\partial h}{\partial a} = 1 + F'(a) \text{: the 1 carries the gradient through}",
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
                    r"\frac{\partial L}{\partial \theta} \approx \frac{L(\theta + h) - L(\theta - h)}{2h} \text{, error } O(h^2) \text{, } h \approx 10^{-5} \text{ in float64}",
                ),
                Definition(
                    "relative error",
                    "|a − n| / max(|a|, |n|):  < 1e-7 good · 1e-7…1e-4 suspicious · > 1e-4 a bug",
                    r"\frac{\left| a - n \right|}{\max(\left| a \right|, \left| n \right|)} \text{: } < 10^{-7} \text{ good · } 10^{-7} \ldots 10^{-4} \text{ suspicious · } > 10^{-4} \text{ a bug}",
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
