"""The names of the engine's activations, losses and quantities, and its size limits, without
numpy: what a bank file may name (bank.load checks them at start-up; the engine's tables are
keyed by exactly these, tested)."""

import itertools

ACTIVATION_NAMES = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "softmax")
LOSS_NAMES = ("mse", "bce", "cross_entropy", "half_sse")

# What a network may be, checked before anything is allocated (net files, --layers, bank
# templates): the limits keep a trace worked by hand or read on a screen, and bounded in time
# and memory. The gradient check evaluates the loss four times per parameter checked, so above
# GRADCHECK_BUDGET parameters it checks a random sample of that many.
MAX_LAYERS = 10
MAX_UNITS = 64
MAX_EXAMPLES = 256
MAX_PARAMETERS = 50_000
GRADCHECK_BUDGET = 1_000


def parameters(sizes: list[int] | tuple[int, ...]) -> int:
    """Weights and biases of a dense network with these layer sizes (input first)."""
    return sum(n_out * (n_in + 1) for n_in, n_out in itertools.pairwise(sizes))


def size_problem(sizes: list[int] | tuple[int, ...]) -> str | None:
    """What is wrong with these layer sizes (input first), in the learner's words, or None."""
    if len(sizes) < 2:
        return "give at least an input and an output size, e.g. 2,2,1"
    if len(sizes) - 1 > MAX_LAYERS:
        return f"at most {MAX_LAYERS} layers ({MAX_LAYERS + 1} sizes); got {len(sizes) - 1}"
    if any(s < 1 or s > MAX_UNITS for s in sizes):
        return f"each size must be between 1 and {MAX_UNITS}"
    if parameters(sizes) > MAX_PARAMETERS:
        return f"at most {MAX_PARAMETERS:,} weights and biases; got {parameters(sizes):,}"
    return None


def quantity_shape(
    base: str, layer: int | None, sizes: list[int] | tuple[int, ...], examples: int | None = None
) -> tuple[int, ...]:
    """The shape of a named quantity (engine.quantities) of a network with these layer sizes:
    () for the loss, (units,) for z, a, delta, b and db, (units, inputs) for W and dW; with a
    batch of `examples`, z, a and delta have one column per example, (units, examples).
    Raises ValueError for a layer the network does not have."""
    if base == "loss":
        return ()
    layers = len(sizes) - 1
    if layer is None or not 1 <= layer <= layers:
        raise ValueError(f"layer {layer} does not exist: the network has {layers} layer(s)")
    if base in ("W", "dW"):
        return (sizes[layer], sizes[layer - 1])
    if examples is not None and base in ("z", "a", "delta"):
        return (sizes[layer], examples)
    return (sizes[layer],)
