"""Problems the command-line tests share."""

NEURON_SPECS = ["--loss", "(a - y)^2/2", "--let", "z=w*x+b", "--let", "a=sigmoid(z)"]
NEURON_W = ["check", *NEURON_SPECS, "--wrt", "w"]
