"""The functions and constants of the expression language, as data: the canonical name, every
spelling a learner may type, how many arguments it takes, whether f'(x) prime notation is
defined, and the one-line summary the help and error messages show. The SymPy meaning of each
lives in expr.symbolic and its numeric one in expr.tensor (both keyed by `name`)."""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

from backprop_coach.expr.errors import NameError_


@dataclass(frozen=True)
class FunctionInfo:
    name: str
    arity: tuple[int, int]  # fewest and most arguments
    summary: str
    aliases: tuple[str, ...] = ()
    prime: bool = False  # f'(x), the derivative of f at x, is understood
    elementwise: bool = True
    keyword: str | None = None  # the optional last argument may be written keyword=VALUE

    def arity_text(self) -> str:
        low, high = self.arity
        count = str(low) if low == high else f"{low} or {high}"
        return f"{count} argument{'s' if high > 1 else ''}"


FUNCTIONS: dict[str, FunctionInfo] = {
    info.name: info
    for info in (
        FunctionInfo("sigmoid", (1, 1), "logistic 1/(1+exp(-z)); also σ, sigma", ("σ", "sigma"), True),
        FunctionInfo("tanh", (1, 1), "hyperbolic tangent", prime=True),
        FunctionInfo("relu", (1, 1), "max(0, z); relu'(z) = step(z), 0 at z = 0", ("ReLU",), True),
        FunctionInfo(
            "leaky_relu",
            (1, 2),
            "leaky_relu(z) = max(0.01z, z); leaky_relu(z, α) with slope α",
            ("lrelu",),
            True,
        ),
        FunctionInfo("softplus", (1, 1), "log(1+exp(z))", prime=True),
        FunctionInfo("exp", (1, 1), "e^z", prime=True),
        FunctionInfo("log", (1, 1), "natural logarithm; also ln", ("ln",), True),
        FunctionInfo("sqrt", (1, 1), "square root"),
        FunctionInfo("abs", (1, 1), "absolute value"),
        FunctionInfo("sign", (1, 1), "-1, 0 or 1 (the L1 penalty's subgradient); also sgn", ("sgn",)),
        FunctionInfo("cosh", (1, 1), "hyperbolic cosine"),
        FunctionInfo("sinh", (1, 1), "hyperbolic sine"),
        FunctionInfo("sech", (1, 1), "1/cosh(z); tanh'(z) = sech^2(z)"),
        FunctionInfo("erf", (1, 1), "error function (exact GELU: x(1+erf(x/sqrt(2)))/2)"),
        FunctionInfo("step", (1, 1), "1 for z>0, 0 for z<=0 (relu'); also heaviside", ("heaviside",)),
        FunctionInfo("max", (2, 2), "elementwise maximum of two values"),
        FunctionInfo("min", (2, 2), "elementwise minimum of two values"),
        FunctionInfo(
            "sum",
            (1, 2),
            "sum of all entries; sum(X, axis=0) a 1xC row, axis=1 an Rx1 column; also Σ",
            ("Σ", "∑"),
            elementwise=False,
            keyword="axis",
        ),
        FunctionInfo(
            "mean", (1, 2), "mean of all entries, or along an axis as sum", elementwise=False,
            keyword="axis",
        ),
        FunctionInfo(
            "softmax", (1, 2), "of a vector; softmax(Z, axis=1) of each row, axis=0 of each column",
            elementwise=False, keyword="axis",
        ),
        FunctionInfo(
            "log_softmax", (1, 2), "v - logsumexp(v); with an axis as softmax", ("logsoftmax",),
            elementwise=False, keyword="axis",
        ),
        FunctionInfo(
            "logsumexp", (1, 2), "log(sum(exp(v))); with an axis as sum", elementwise=False,
            keyword="axis",
        ),
        FunctionInfo("norm", (1, 1), "Euclidean norm of a vector, Frobenius of a matrix", elementwise=False),
        FunctionInfo("trace", (1, 1), "sum of the diagonal of a square matrix; also tr", ("tr",), elementwise=False),
        FunctionInfo("dot", (2, 2), "dot product of two vectors of the same length", elementwise=False),
        FunctionInfo("outer", (2, 2), "outer product u vᵀ of two vectors", elementwise=False),
        FunctionInfo("diag", (1, 1), "diagonal matrix from a vector", elementwise=False),
    )
}  # fmt: skip

FUNCTION_ALIASES: dict[str, str] = {
    alias: info.name for info in FUNCTIONS.values() for alias in info.aliases
}

# Greek letters that name a function only when called: σ(z) and σ'(z) are the sigmoid, a bare σ
# (a standard deviation) is a quantity.
LETTER_FUNCTIONS = frozenset({"σ", "sigma"})

# f'(x) is understood for these (relu'(z) = step(z), σ'(z) = σ(z)(1-σ(z)), ...).
DIFFERENTIABLE = frozenset(info.name for info in FUNCTIONS.values() if info.prime)

# Named constants: spelling -> canonical name. Each is a constant only where no quantity of the
# problem has that name (a let `e = a - y` stays the learner's e).
CONSTANTS: dict[str, str] = {"pi": "pi", "π": "pi", "e": "e"}


def canonical_function(name: str) -> str | None:
    """The canonical function a name denotes, or None when it is not a function."""
    name = FUNCTION_ALIASES.get(name, name)
    return name if name in FUNCTIONS else None


def suggest_function(name: str) -> str | None:
    """The known function a misspelt name most likely means (`sigmod` -> sigmoid), or None."""
    spellings = [*FUNCTIONS, *(a for a in FUNCTION_ALIASES if a.isascii())]
    found = difflib.get_close_matches(name.lower(), spellings, n=1, cutoff=0.7)
    return canonical_function(found[0]) if found else None


def lookalikes(name: str) -> str | None:
    """Say which letters of `name` are from another script than they look (Cyrillic а for
    Latin a), or None when every letter is Latin, Greek, digit or underscore."""
    notes = []
    for ch in dict.fromkeys(name):
        if ch.isascii():
            continue
        label = unicodedata.name(ch, "")
        if label.startswith(("CYRILLIC", "ARMENIAN", "CHEROKEE")) or "FULLWIDTH" in label:
            notes.append(f"'{ch}' is {label.title()} (U+{ord(ch):04X})")
    if not notes:
        return None
    return f"{', '.join(notes)}, not a Latin letter: retype {name!r} on a Latin keyboard"


def function_list() -> str:
    """The known functions, for error messages."""
    return ", ".join(FUNCTIONS)


def unknown_function(name: str, col: int | None = None) -> NameError_:
    """The error for `name(...)` when name is neither a function nor a known quantity."""
    message = f"unknown function {name}"
    hint = suggest_function(name)
    if hint is not None:
        message += f" (did you mean {hint}?)"
    odd = lookalikes(name)
    if odd is not None:
        message += f"; {odd}"
    return NameError_(f"{message}; known functions: {function_list()}", col)
