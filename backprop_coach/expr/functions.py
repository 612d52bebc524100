"""The functions of the expression language, as data: name, aliases, arity, and whether f'(x)
prime notation is defined. SymPy implementations live in expr.symbolic (imported lazily)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FunctionInfo:
    name: str
    arity: int
    summary: str
    elementwise: bool = True


FUNCTIONS: dict[str, FunctionInfo] = {
    info.name: info
    for info in (
        FunctionInfo("sigmoid", 1, "logistic 1/(1+exp(-z)); alias σ"),
        FunctionInfo("tanh", 1, "hyperbolic tangent"),
        FunctionInfo("relu", 1, "max(0, z)"),
        FunctionInfo("exp", 1, "e^z"),
        FunctionInfo("log", 1, "natural logarithm; alias ln"),
        FunctionInfo("sqrt", 1, "square root"),
        FunctionInfo("abs", 1, "absolute value"),
        FunctionInfo("softplus", 1, "log(1+exp(z))"),
        FunctionInfo("step", 1, "1 for z>0, 0 for z<0; alias heaviside"),
        FunctionInfo("sum", 1, "sum of all entries", elementwise=False),
        FunctionInfo("mean", 1, "mean of all entries", elementwise=False),
        FunctionInfo("softmax", 1, "softmax of a column vector", elementwise=False),
        FunctionInfo("diag", 1, "diagonal matrix from a vector", elementwise=False),
        FunctionInfo("max", 2, "elementwise maximum of two values"),
    )
}

FUNCTION_ALIASES: dict[str, str] = {"σ": "sigmoid", "ln": "log", "heaviside": "step"}

# f'(x) is understood for these (relu'(z) = step(z), σ'(z) = σ(z)(1-σ(z)), ...).
DIFFERENTIABLE = frozenset({"sigmoid", "tanh", "relu", "softplus", "exp", "log"})


def canonical_function(name: str) -> str | None:
    """The canonical function a name denotes, or None when it is not a function."""
    name = FUNCTION_ALIASES.get(name, name)
    return name if name in FUNCTIONS else None
