"""The Greek letters of the language, once: each letter with its LaTeX command (which is also
its ASCII spelling). The lexer, the name resolver and the LaTeX printer all read this table."""

from __future__ import annotations

# (LaTeX command = ASCII spelling, letter); the first command of a letter is the one printed
LETTERS = (
    ("alpha", "α"), ("beta", "β"), ("gamma", "γ"), ("delta", "δ"), ("epsilon", "ε"),
    ("varepsilon", "ε"), ("eta", "η"), ("theta", "θ"), ("lambda", "λ"), ("mu", "μ"),
    ("rho", "ρ"), ("tau", "τ"), ("phi", "φ"), ("sigma", "σ"), ("Delta", "Δ"), ("pi", "π"),
    ("Sigma", "Σ"),
)  # fmt: skip

# \delta in LaTeX is δ
FROM_LATEX = dict(LETTERS)
# δ printed as LaTeX is \delta (π and σ too: a name of the problem, or a constant)
TO_LATEX = {letter: "\\" + command for command, letter in reversed(LETTERS)}
# Names: `delta` finds δ and `δ` finds delta. Not sigma (σ names the sigmoid), pi (the
# constant), varepsilon or the capitals; `lam` is λ too (lambda is a Python keyword).
_NAMED = ("alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu", "rho",
          "tau", "phi")  # fmt: skip
FROM_ASCII = {**{name: FROM_LATEX[name] for name in _NAMED}, "lam": "λ"}
TO_ASCII = {FROM_LATEX[name]: name for name in _NAMED}
