"""`bank new`: a commented question file that loads and validates as written, to be edited."""

from __future__ import annotations

COMMON = """# A backprop-coach question. Field reference: questions/README.md in the source tree.
format_version = 1
id = "{id}"            # kebab-case, equal to the file name, permanent
topic = "{topic}"
difficulty = 1          # 1 to 3
kind = "{kind}"
# after = "sigmoid-neuron-dw"  # optional: a question a new learner should see first
tags = []
source = "Where a reader can learn more, e.g. Nielsen, Neural Networks and Deep Learning, ch. 2"
"""

DERIVATION = '''
prompt = """
A neuron computes z = w·x + b and a = σ(z), with loss L = ½(a − y)².
Derive **∂L/∂w**.
"""
hints = ["Chain rule: ∂L/∂w = ∂L/∂a · ∂a/∂z · ∂z/∂w."]

# The problem, exactly as `backprop-coach check` takes it.
loss = "(a - y)^2/2"
wrt = "w"
let = ["z = w*x + b", "a = sigmoid(z)"]
shape = []              # e.g. ["W=2x3", "x=3x1"]
domain = []             # e.g. ["y=onehot"]
answer = "(a - y)*a*(1 - a)*x"

# Worked solution, in order; a step with expr writes the gradient and is proved equal to it.
explanation = [
  {{ text = "∂L/∂a = a − y, ∂a/∂z = σ'(z) = a(1 − a), ∂z/∂w = x." }},
  {{ text = "Multiply the three factors.", expr = "(a - y)*sigmoid'(z)*x" }},
]

# Common mistakes: each is graded with this diagnosis, and the learner sees the feedback.
[[wrong_answers]]
answer = "(a - y)*x"
diagnosis = "missing_factor"
feedback = "You dropped σ'(z): the activation sits between z and L."

[[wrong_answers]]
answer = "(y - a)*a*(1 - a)*x"
diagnosis = "sign_flip"
feedback = "∂L/∂a = a − y, not y − a."
'''

NUMERIC = '''
prompt = """
For the 2-2-1 sigmoid network shown (half squared error), compute **δ² = ∂L/∂z²**
for the output unit, to 3 significant figures.
"""
hints = ["δ² = (a² − y) · a²(1 − a²)."]
explanation = [
  "Forward: z¹ = W¹x + b¹, a¹ = σ(z¹), z² = W²a¹ + b², a² = σ(z²).",
  "Output error: δ² = (a² − y) ⊙ σ'(z²) = (a² − y) ⊙ a²(1 − a²).",
]

# Weights, inputs and targets are drawn from a seed and rounded to `decimals`,
# so every seed is a fresh variant a learner can compute by hand.
[network]
layers = [2, 2, 1]
activations = ["sigmoid", "sigmoid"]
loss = "half_sse"
lr = 0.5
ask = "delta2[0]"       # loss, zL, aL, deltaL, dWL, dbL, WL_new, bL_new with indices
figures = 3
'''

CONCEPT = '''
prompt = """
Why do deep sigmoid networks train slowly in their early layers?
"""
hints = ["What is the largest value σ'(z) can take?"]
explanation = ["Follow δ back through the layers: each step multiplies by Wᵀ and by σ'(z)."]
model_answer = """
Backpropagation multiplies δ by (W^(l+1))ᵀ and by σ'(z^l) at every layer. σ'(z) is at most
1/4, so with modest weights the gradient shrinks geometrically with depth: early layers get
tiny updates (vanishing gradients).
"""
key_points = [
  "δ^l = (W^(l+1))ᵀ δ^(l+1) ⊙ σ'(z^l): one factor per layer",
  "σ'(z) ≤ 1/4, and near 0 when the unit saturates",
  "the product over many layers shrinks geometrically",
]
'''

BODIES = {"derivation": DERIVATION, "numeric": NUMERIC, "concept": CONCEPT}


def template(question_id: str, topic: str, kind: str) -> str:
    return COMMON.format(id=question_id, topic=topic, kind=kind) + BODIES[kind].format()
