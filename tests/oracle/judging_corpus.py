"""Writes tests/data/judging_corpus.jsonl (run from the repository root). Every expected verdict
is worked here by hand, with the math module only (no backprop_coach)."""

import json
import math

s = 1 / (1 + math.exp(-0.5))
t = s * s * (1 - s)  # ∂/∂w (σ(wx) - y)²/2 at w=.5, x=1, y=0
assert f"{t:.10f}" == "0.1462802535"
big = 11.78277**2  # ∂/∂w w³x/3 at w = 11.78277, x = 1
assert f"{big:.4f}" == "138.8337"
tiny = math.exp(-9)  # ∂/∂w e^-9·w
assert f"{tiny:.6f}" == "0.000123"

cases = []


def add(id_, loss, wrt, claim, verdict, diagnosis=None, let=(), shape=(), domain=(), at=None):
    c = {
        "id": "j-" + id_,
        "loss": loss,
        "wrt": wrt,
        "claim": claim,
        "let": list(let),
        "shape": list(shape),
        "domain": list(domain),
    }
    if at is not None:
        c["at"] = at
    c["expect"] = {"verdict": verdict, "diagnosis": diagnosis}
    cases.append(c)


# identically zero gradients (Σ softmax = 1; Σ (x - mean) = 0; Σ BN(x) = 0)
SM = dict(shape=["z=3x1"])
add("zero-softmax-0", "sum(softmax(z))", "z", "0", "correct", **SM)
add("zero-softmax-0z", "sum(softmax(z))", "z", "0*z", "correct", **SM)
add("zero-softmax-z-z", "sum(softmax(z))", "z", "z - z", "correct", **SM)
add(
    "zero-softmax-p-psum",
    "sum(softmax(z))",
    "z",
    "softmax(z) - softmax(z)*sum(softmax(z))",
    "correct",
    **SM,
)
add("zero-softmax-1e-6", "sum(softmax(z))", "z", "1e-6*softmax(z)", "incorrect", "wrong", **SM)
add("zero-softmax-p", "sum(softmax(z))", "z", "softmax(z)", "incorrect", "wrong", **SM)
add("zero-centered", "sum(z - mean(z))", "z", "0*z", "correct", shape=["z=4x1"])
add(
    "zero-bn",
    "sum((x - mean(x))/sqrt(mean((x - mean(x))^2) + 0.001))",
    "x",
    "0*x",
    "correct",
    shape=["x=4x1"],
)
add("zero-matrix", "sum(softmax(W@x)) + 3", "W", "0", "correct", shape=["W=3x2", "x=2x1"])
add("zero-matrix-0W", "sum(softmax(W@x)) + 3", "W", "0*W", "correct", shape=["W=3x2", "x=2x1"])
add(
    "zero-matrix-1e-7",
    "sum(softmax(W@x)) + 3",
    "W",
    "1e-7*W",
    "incorrect",
    "wrong",
    shape=["W=3x2", "x=2x1"],
)
add("zero-scalar", "0*w^2 + y", "w", "0", "correct")
add("tiny-not-zero", "exp(-40)*w^2", "w", "0", "incorrect", "wrong")

# a learner's numbers: correctly rounded, at least 2 significant figures, 0 is exactly zero
N = dict(at=["w=0.5", "x=1", "y=0"])
L = "(sigmoid(w*x) - y)^2/2"
add("num-rounded-4", L, "w", "0.1463", "correct", **N)
add("num-rounded-3", L, "w", "0.146", "correct", **N)
add("num-rounded-2", L, "w", "0.15", "correct", **N)
add("num-rounded-5", L, "w", "0.14628", "correct", **N)
add("num-scientific", L, "w", "1.463e-1", "correct", **N)
add("num-truncated", L, "w", "0.1462", "incorrect", "rounding", **N)
add("num-two-units", L, "w", "0.1465", "incorrect", "rounding", **N)
add("num-three-units", L, "w", "0.1466", "incorrect", "wrong", **N)
add("num-sign", L, "w", "-0.1463", "incorrect", "sign_flip", **N)
add("num-zero", L, "w", "0", "incorrect", "wrong", **N)
add("num-one-figure", L, "w", "0.1", "invalid", **N)
add("num-one-figure-2", L, "w", "0.2", "invalid", **N)
add("num-exact-expression", L, "w", "sigmoid(1/2)^2*(1 - sigmoid(1/2))", "correct", **N)
add("num-exact-names", L, "w", "sigmoid(w*x)^2*(1 - sigmoid(w*x))*x", "correct", **N)
add("num-exact-wrong", L, "w", "0.25*(1 - 0.25)*0.78", "incorrect", "wrong", **N)
add("num-large-right", "w^3*x/3", "w", "138.8", "correct", at=["w=11.78277", "x=1"])
add("num-large-two-decimals", "w^3*x/3", "w", "138.83", "correct", at=["w=11.78277", "x=1"])
add("num-large-one-off", "w^3*x/3", "w", "138.9", "incorrect", "rounding", at=["w=11.78277", "x=1"])
add("num-tiny-zero", "exp(-9)*w", "w", "0", "incorrect", "wrong", at=["w=2"])
add("num-tiny-right", "exp(-9)*w", "w", "0.00012", "correct", at=["w=2"])
add("num-tiny-one-figure", "exp(-9)*w", "w", "0.0001", "invalid", at=["w=2"])
add("num-exact-zero", "w*x", "w", "0", "correct", at=["w=3", "x=0"])

# ReLU masks: step(0) = 0 = relu'(0)
R = dict(let=["z=w*x + b", "a=relu(z)"])
add("mask-step-a", "(a - y)^2/2", "w", "(a - y)*step(a)*x", "correct", **R)
add("mask-z-positive", "(a - y)^2/2", "w", "(a - y)*(z > 0)*x", "correct", **R)
add("mask-a-positive", "(a - y)^2/2", "w", "(a - y)*(a > 0)*x", "correct", **R)
add("mask-missing", "(a - y)^2/2", "w", "(a - y)*x", "incorrect", "missing_factor", **R)

# the classic slips
S = dict(let=["z=w*x + b", "a=sigmoid(z)"])
add(
    "slip-sigmoid-prime-of-a",
    "(a - y)^2/2",
    "w",
    "(a - y)*sigmoid'(a)*x",
    "incorrect",
    "wrong_argument",
    **S,
)
add(
    "slip-tanh-z-for-a",
    "(a - y)^2/2",
    "w",
    "(a - y)*(1 - z^2)*x",
    "incorrect",
    "wrong_argument",
    let=["z=w*x + b", "a=tanh(z)"],
)
add(
    "slip-ce-undeclared-onehot",
    "-sum(y*log(softmax(z)))",
    "z",
    "softmax(z) - y",
    "incorrect",
    "domain",
    shape=["z=3x1", "y=3x1"],
)
add(
    "slip-ce-declared-onehot",
    "-sum(y*log(softmax(z)))",
    "z",
    "softmax(z) - y",
    "correct",
    shape=["z=3x1", "y=3x1"],
    domain=["y=onehot"],
)
add(
    "slip-l1-positive-only",
    "(w*x - y)^2/2 + λ*abs(w)",
    "w",
    "(w*x - y)*x + λ",
    "incorrect",
    "domain",
)
V = dict(let=["z=W@x + b", "a=sigmoid(z)"], shape=["W=2x3", "x=3x1", "b=2x1", "y=2x1"])
add(
    "slip-dW-missing-sigma-prime",
    "sum((a - y)^2)/2",
    "W",
    "(a - y) x.T",
    "incorrect",
    "missing_factor",
    **V,
)
add(
    "slip-dW-extra-sigma-prime",
    "sum((a - y)^2)/2",
    "W",
    "((a - y)*sigmoid'(z)*sigmoid'(z)) x.T",
    "incorrect",
    "extra_factor",
    **V,
)
add(
    "slip-delta-times-sum-x",
    "sum((a - y)^2)/2",
    "z",
    "(a - y)*a*(1 - a)*sum(x)",
    "incorrect",
    "wrong",
    **V,
)
add(
    "slip-row-ce-undeclared",
    "-sum(Y*(Z - log(sum(exp(Z), axis=1))))",
    "Z",
    "exp(Z)/sum(exp(Z), axis=1) - Y",
    "incorrect",
    "domain",
    shape=["Z=4x3", "Y=4x3"],
)
add(
    "slip-row-ce-declared",
    "-sum(Y*(Z - log(sum(exp(Z), axis=1))))",
    "Z",
    "exp(Z)/sum(exp(Z), axis=1) - Y",
    "correct",
    shape=["Z=4x3", "Y=4x3"],
    domain=["Y=onehot_rows"],
)

# infinite and undefined claims are never within tolerance
add("inf-overflow", "(a - y)^2/2", "w", "exp(1000)", "incorrect", "wrong", **S)
add(
    "inf-divide-by-mask",
    "(relu(w*x) - y)^2/2",
    "w",
    "(relu(w x) - y) x / step(w x)",
    "incorrect",
    "wrong",
)
add("inf-imaginary", "(a - y)^2/2", "w", "sqrt(-1)", "incorrect", "wrong", **S)

# wrong only where few points fall: thresholds beyond 3, intervals, the absolute tolerance
H = "(z^2/2)*(abs(z) <= 4) + (4*abs(z) - 8)*(abs(z) > 4)"  # Huber, δ = 4: slope ±4 beyond
add("huber4-linear-part-missing", H, "z", "z", "incorrect", "wrong")
add("huber4-right", H, "z", "z*(abs(z) <= 4) + 4*sign(z)*(abs(z) > 4)", "correct")
add("clip5-missing-mask", "min(max(z, -5), 5)^2/2", "z", "z", "incorrect", "wrong")
add("clip5-right", "min(max(z, -5), 5)^2/2", "z", "z*(abs(z) < 5)", "correct")
add("interval-bump", "z^2/2", "z", "z + (z > -0.4)*(z < 0.2)", "incorrect", "wrong")
add("offset-under-a-huge-truth", "exp(12*z)/12", "z", "exp(12*z) + 1", "incorrect", "wrong")
add(
    "log-clamped-at-0.1",
    "log(x)",
    "x",
    "1/max(x, 0.1)",
    "incorrect",
    "wrong",
    domain=["x=positive"],
)
add("overflowing-but-exact", "softplus(300*z)", "z", "300*exp(300*z)/(1 + exp(300*z))", "correct")
add(
    "num-huge-999-units",
    "w^2/2",
    "w",
    "1000000000999",
    "incorrect",
    "wrong",
    at=["w=1000000000000"],
)
add(
    "num-exact-kink",
    "relu(x*(tanh(w)^2 + sech(w)^2) - 1)",
    "x",
    "0",
    "correct",
    at=["w=0.5", "x=1"],
)

# a truth that cancels in floats and is then scaled up: d tanh(1e20·w)/dw = 1e20·sech²(1e20·w),
# below 1e20·4·e^(-2000) < 1e-800 wherever |w| > 1e-17 (every sampled point), computed as
# 1e20·(1 − 1) = 0 with a float error bound near 1e4: within that bound 5 "agreed" once
assert 1e20 * 4 * math.exp(-2000) < 1e-300
add("cancel-scaled-5", "tanh(1e20*w)", "w", "5", "incorrect", "wrong")
add("cancel-scaled-right", "tanh(1e20*w)", "w", "1e20*(1 - tanh(1e20*w)^2)", "correct")
add("cancel-scaled-matrix", "sum(tanh(1e20*W))", "W", "W + 5", "incorrect", "wrong", shape=["W=3x3"])

# a claim's own rounding may not hide a difference: (10^20 + w) - 10^20 is w, though 0 in floats,
# so the claim is 2w - y against the truth w - y
add("own-rounding", "(w - y)^2/2", "w", "(w - y) + ((10^20 + w) - 10^20)", "incorrect", "wrong")
# off by 5 only where w > 2.5, while the truth tanh'·x cancels to 0 in floats everywhere
add(
    "cancel-scaled-some-points",
    "tanh(10^20*w)*x",
    "w",
    "(10^20*w + 1 - 10^20*w - 1)*x + 5*step(w - 2.5)",
    "incorrect",
    "wrong",
)
# 1 - tanh²(w + 30) is 0 in floats but 4·e^(-2(w+30)) > 0 (w ≥ -8 at every draw): 0 is wrong
assert 4 * math.exp(-2 * (8 + 30)) > 0
add("tiny-underflowing-truth-0", "tanh(w + 30)", "w", "0", "incorrect", "wrong")
# a loss that cancels large constants: (w x + 1e8 - 1e8 - y)²/2 is (w x - y)²/2 exactly
add("loss-cancels-constants", "(w*x + 100000000 - 100000000 - y)^2/2", "w", "(w*x - y)*x", "correct")
# 0·e^1000 is 0, and e^1000/e^999 is e: overflowing floats are no difference to the truth
add(
    "overflow-times-zero",
    "min(abs(w - y), 1)^2/2 + max(abs(w - y) - 1, 0)",
    "w",
    "max(min(w - y, 1), -1) + 0*exp(1000)",
    "correct",
)
add("overflow-ratio-is-e", "(w - y)^2/2", "w", "(w - y)*exp(1000)/exp(999)", "incorrect",
    "constant_factor")
add("overflow-ratio-is-e-sigmoid", "(a - y)^2/2", "w", "((a - y)*(a*(1 - a))*x)*exp(1000)/exp(999)",
    "incorrect", "constant_factor", let=["z=w*x + b", "a=sigmoid(z)"])
# sums to one only where a group has more than one entry: a scalar onehot y is a 0/1 label
# (at y = 0 the truth a - y is a, the claim (a - 1)*0/0 is undefined)
BCE = dict(let=["z=w*x+b", "a=sigmoid(z)"], domain=["y=onehot"])
add("scalar-onehot-is-a-label", "-(y*log(a) + (1 - y)*log(1 - a))", "z", "(a - 1)*y/y",
    "incorrect", "wrong", **BCE)
# an Rx1 onehot_rows is three 0/1 labels, not one distribution: softmax(z) - y is not ∂L/∂z
# (at y = [1, 1, 0] the truth is softmax(z)·2 - y)
add("column-of-row-labels", "-sum(y*log_softmax(z))", "z", "softmax(z) - y + 0*exp(1000)",
    "incorrect", "wrong", shape=["z=3x1", "y=3x1"], domain=["y=onehot_rows"])
# a claim whose own 1e8 terms cancel at a size where SymPy's truth is out of its budget: exact
# arithmetic shows the terms are 0 (and 1 + the same terms is still wrong by 1)
BIG = dict(let=["Z=X@W + b", "A=Z"], shape=["X=8x8", "W=8x8", "b=1x8", "Y=8x8"])
add("own-terms-cancel-8x8", "sum((A - Y)^2)/(2*8)", "W",
    "X.T @ (A - Y)/8 + 1e8*(W+1)^2 - 1e8*(W^2 + 2*W + 1)", "correct", **BIG)
add("own-terms-cancel-8x8-plus-1", "sum((A - Y)^2)/(2*8)", "W",
    "X.T @ (A - Y)/8 + 1 + 1e8*(W+1)^2 - 1e8*(W^2 + 2*W + 1)", "incorrect", "wrong", **BIG)
# tanh' written with z for a: the slip is named although many entries saturate (1 - a² = 0 ± 1e-16)
add("slip-tanh-z-for-a-matrix", "sum((a - y)^2)/2", "W", "(a - y)*(1 - z^2) @ x.T",
    "incorrect", "wrong_argument", let=["z=W@x + b", "a=tanh(z)"],
    shape=["W=2x3", "x=3x1", "b=2x1", "y=2x1"])
# 1 - tanh²(w + 30) under a mask: 0 where the mask is off is wrong there (4·e^(-2(w+30)) > 0)
add("tiny-truth-masked", "tanh(w + 30)", "w", "sech(w + 30)^2*(w < 1)", "incorrect", "wrong")

# a constant offset below every float tolerance: w + 1e-30 and w + e^-50 are not w
add("offset-1e-30", "w^2/2", "w", "w + 1e-30", "incorrect", "wrong")
add("offset-exp-50", "w^2/2", "w", "w + exp(-50)", "incorrect", "wrong")
# a branch past the default draws (±8): Huber with δ = 10 is linear beyond 10, clipping at 10
# is flat there, relu(w − 20) is 1 beyond 20: the draws reach past every literal
add("huber-10-linear-part-missing", "min(abs(w-y),10)^2/2 + 10*(abs(w-y) - min(abs(w-y),10))",
    "w", "w - y", "incorrect", "wrong")
add("clip-10-missing", "(min(max(w,-10),10) - y)^2/2", "w", "w - y", "incorrect", "wrong")
add("relu-far-threshold", "relu(w - 20)", "w", "0", "incorrect", "wrong")
add("relu-far-threshold-right", "relu(w - 20)", "w", "step(w - 20)", "correct")
# a claim that writes its own far threshold: wrong where |w| > 9
add("claim-own-threshold", "(w - y)^2/2", "w", "w - y + relu(abs(w) - 9)", "incorrect", "wrong")

# identically zero gradients at sizes where SymPy is not used
add("zero-softmax-8", "sum(softmax(z))", "z", "0", "correct", shape=["z=8x1"])
add("zero-bn-16", "sum((x - mean(x))/sqrt(mean((x - mean(x))^2) + 0.001))", "x", "0*x",
    "correct", shape=["x=16x1"])

# x^T with a declared name T is ambiguous on a vector: refused, never guessed
add(
    "caret-t-ambiguous",
    "sum(x^T)",
    "x",
    "T x^(T - 1)",
    "invalid",
    shape=["x=3x1"],
    domain=["x=positive", "T=positive"],
)

with open("tests/data/judging_corpus.jsonl", "w") as f:
    for c in cases:
        f.write(json.dumps(c, ensure_ascii=False) + "\n")
print(len(cases))
