"""The names of the engine's activations and losses, without numpy: what a bank file may name
(bank.load checks them at start-up; the engine's tables are keyed by exactly these, tested)."""

ACTIVATION_NAMES = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "softmax")
LOSS_NAMES = ("mse", "bce", "cross_entropy", "half_sse")
