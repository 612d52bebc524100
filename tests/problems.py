"""Problems the command-line tests share."""

NEURON_SPECS = ["--loss", "(a - y)^2/2", "--let", "z=w*x+b", "--let", "a=sigmoid(z)"]
NEURON_W = ["check", *NEURON_SPECS, "--wrt", "w"]

# a sigmoid layer in the column layout: z = W x + b (W 2x3), a = σ(z), L = ½Σ(a − y)²
SIGMOID_LAYER_LETS = (("z", "W@x + b"), ("a", "sigmoid(z)"))
SIGMOID_LAYER_SHAPES = {"W": (2, 3), "x": (3, 1), "b": (2, 1), "y": (2, 1)}
