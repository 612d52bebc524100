"""backprop-coach: learn, practise and prove backpropagation in the terminal."""

__version__ = "0.1.0"
