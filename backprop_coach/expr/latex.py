"""The LaTeX lexer: turns `\\sigma'(z)`, `\\frac{\\partial L}{\\partial w}`, `W^\\top \\delta`,
`\\odot`, `e^{x}` into the plain language's tokens, which expr.parse then parses with the one
grammar, so LaTeX input yields the same trees under the same limits. Only expr.parse calls it.

    \\frac{A}{B}     -> (A)/(B)          \\frac{\\partial L}{\\partial w} -> the Leibniz term ∂L/∂w
    \\sqrt{A}        -> sqrt(A)          e^{A}                       -> exp(A)
    X^\\top, X^T     -> X.T              W^{(2)}                     -> the name W2
    x_{1}, w_{new}  -> x1, w_new        \\cdot \\times \\odot \\circ     -> *
    \\sigma \\tanh \\exp \\log \\ln \\operatorname{relu}                 -> functions
    \\delta \\eta \\lambda ...         -> Greek names                  \\left( \\right) {...} -> parentheses
"""

from __future__ import annotations

import re
from collections.abc import Callable

from backprop_coach.expr.errors import LimitError, ParseError

Emit = Callable[[str, str, int], None]  # (kind, text, col)

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "eta": "η", "theta": "θ", "lambda": "λ", "mu": "μ", "rho": "ρ", "tau": "τ", "phi": "φ",
    "sigma": "σ", "Delta": "Δ",
}  # fmt: skip
FUNCTIONS = {"tanh", "exp", "log", "ln", "sqrt", "max"}
TIMES = {"odot": "*", "circ": "*", "ast": "*", "cdot": "·", "times": "·"}
SPACING = {
    ",",
    ";",
    "!",
    " ",
    ":",
    "quad",
    "qquad",
    "left",
    "right",
    "big",
    "Big",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "displaystyle",
}
TRANSPOSE = {"top", "intercal", "T", "mathsf{T}"}
WORD = {"operatorname", "mathrm", "text", "mathit", "textrm"}
_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
_NUMBER = re.compile(r"[0-9]+\.?[0-9]*|\.[0-9]+")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
MAX_GROUP_DEPTH = 60
DIGITS = "0123456789"


def looks_like_latex(text: str) -> bool:
    """A backslash or a brace marks LaTeX."""
    return "\\" in text or "{" in text or "}" in text


class _Lexer:
    def __init__(self, text: str, emit: Emit) -> None:
        self.text = text
        self.emit = emit
        self.depth = 0

    def fail(self, message: str, i: int) -> ParseError:
        return ParseError(message, i + 1)

    def group(self, i: int) -> tuple[int, int]:
        """The span inside {...} (or a single character or command) starting at i."""
        i = self.skip_spaces(i)
        if i >= len(self.text):
            raise self.fail("expected a {group} here", i)
        if self.text[i] == "{":
            depth, j = 0, i
            while j < len(self.text):
                if self.text[j] == "{":
                    depth += 1
                    if depth > MAX_GROUP_DEPTH:
                        raise LimitError(
                            f"braces nested too deeply (more than {MAX_GROUP_DEPTH})", j + 1
                        )
                elif self.text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        return i + 1, j
                j += 1
            raise self.fail("unclosed '{'", i)
        if self.text[i] == "\\":
            m = _COMMAND.match(self.text, i)
            if m is None:
                raise self.fail("a lone backslash", i)
            return i, m.end()
        return i, i + 1

    def skip_spaces(self, i: int) -> int:
        while i < len(self.text) and self.text[i] in " \t\n":
            i += 1
        return i

    def sub(self, start: int, end: int) -> None:
        """Lex text[start:end] as a nested group (its own tokens, wrapped in parentheses)."""
        self.depth += 1
        if self.depth > MAX_GROUP_DEPTH:
            raise LimitError(
                f"LaTeX nested too deeply (more than {MAX_GROUP_DEPTH} levels)", start + 1
            )
        self.run(start, end)
        self.depth -= 1

    def word(self, i: int) -> tuple[str, int]:
        start, end = self.group(i)
        content = self.text[start:end].strip()
        if not _NAME.fullmatch(content.replace("_", "")):
            raise self.fail(f"expected a name in braces, got {{{content}}}", start)
        return content, end + (1 if end < len(self.text) and self.text[end] == "}" else 0)

    def run(self, i: int, end: int) -> None:
        while i < end:
            i = self.step(i, end)

    def step(self, i: int, end: int) -> int:
        text, emit = self.text, self.emit
        ch = text[i]
        if ch in " \t\n":
            return i + 1
        if ch in DIGITS or (ch == "." and i + 1 < end and text[i + 1] in DIGITS):
            m = _NUMBER.match(text, i)
            assert m is not None
            emit("num", m.group(0), i)
            return m.end()
        if ch.isalpha() and ch.isidentifier() and ch != "ᵀ":
            m = _NAME.match(text, i)
            if m is None:  # a non-ASCII letter: one character name (Greek typed directly)
                return self.name(ch, i, i + 1, end)
            return self.name(m.group(0), i, m.end(), end)
        if ch in "{(":
            emit("op", "(", i)
            if ch == "(":
                return i + 1
            start, close = self.group(i)
            self.sub(start, close)
            emit("op", ")", close)
            return close + 1
        if ch in ")]":
            emit("op", ")", i)
            return i + 1
        if ch == "[":
            emit("op", "(", i)
            return i + 1
        if ch in "+-*/',@":
            emit("op", ch, i)
            return i + 1
        if ch == "^":
            return self.superscript(i, end)
        if ch == "\\":
            return self.command(i, end)
        if ch == "}":
            raise self.fail("unmatched '}'", i)
        raise self.fail(f"unexpected character {ch!r} in LaTeX", i)

    def name(self, name: str, start: int, i: int, end: int) -> int:
        """A name, with its _subscript and ^{(layer)} folded in; e^{x} is exp(x)."""
        while i < end and self.text[i] == "_":
            s, e = self.group(i + 1)
            sub = self.text[s:e].strip().replace("{", "").replace("}", "")
            if not sub or not all(c.isalnum() for c in sub):
                raise self.fail(f"a subscript is letters or digits, got {sub!r}", s)
            name += sub if sub.isdigit() else "_" + sub
            i = e + (1 if e < len(self.text) and self.text[e] == "}" else 0)
        j = self.skip_spaces(i)
        if j < end and self.text[j] == "^":
            s, e = self.group(j + 1)
            inner = self.text[s:e].strip()
            if inner.startswith("(") and inner.endswith(")") and inner[1:-1].strip().isalnum():
                name += inner[1:-1].strip()  # W^{(2)}: the layer index, part of the name
                i = e + (1 if e < len(self.text) and self.text[e] == "}" else 0)
        if name == "e" and j < end and self.text[j] == "^" and not self._is_transpose(j):
            s, e = self.group(j + 1)
            self.emit("name", "exp", start)
            self.emit("op", "(", s)
            self.sub(s, e)
            self.emit("op", ")", e)
            return e + (1 if e < len(self.text) and self.text[e] == "}" else 0)
        self.emit("name", name, start)
        return i

    def _is_transpose(self, i: int) -> bool:
        s, e = self.group(i + 1)
        inner = self.text[s:e].strip().lstrip("\\")
        return inner in TRANSPOSE

    def superscript(self, i: int, end: int) -> int:
        if self._is_transpose(i):
            s, e = self.group(i + 1)
            self.emit("op", ".T", i)
            return e + (1 if e < len(self.text) and self.text[e] == "}" else 0)
        s, e = self.group(i + 1)
        self.emit("op", "^", i)
        self.emit("op", "(", s)
        self.sub(s, e)
        self.emit("op", ")", e)
        return e + (1 if e < len(self.text) and self.text[e] == "}" else 0)

    def command(self, i: int, end: int) -> int:
        m = _COMMAND.match(self.text, i)
        if m is None:
            raise self.fail("a lone backslash", i)
        cmd, after = m.group(1), m.end()
        if cmd in SPACING:
            return after
        if cmd in TIMES:
            self.emit("op", TIMES[cmd], i)
            return after
        if cmd in ("{", "}"):
            self.emit("op", "(" if cmd == "{" else ")", i)
            return after
        if cmd in GREEK:
            return self.name(GREEK[cmd], i, after, end)
        if cmd in FUNCTIONS:
            self.emit("name", cmd, i)
            return after
        if cmd in WORD:
            word, j = self.word(after)
            return self.name(word, i, j, end)
        if cmd in ("frac", "dfrac", "tfrac"):
            return self.fraction(i, after)
        if cmd == "sqrt":
            s, e = self.group(after)
            self.emit("name", "sqrt", i)
            self.emit("op", "(", s)
            self.sub(s, e)
            self.emit("op", ")", e)
            return e + (1 if e < len(self.text) and self.text[e] == "}" else 0)
        if cmd == "partial":
            raise self.fail("write a derivative as \\frac{\\partial L}{\\partial w}", i)
        raise self.fail(f"unsupported LaTeX command \\{cmd}", i)

    def fraction(self, i: int, after: int) -> int:
        ns, ne = self.group(after)
        close = ne + (1 if ne < len(self.text) and self.text[ne] == "}" else 0)
        ds, de = self.group(close)
        done = de + (1 if de < len(self.text) and self.text[de] == "}" else 0)
        num, den = self._leibniz(self.text[ns:ne]), self._leibniz(self.text[ds:de])
        if num and den:
            self.emit("deriv", f"{num}/{den}", i)
            return done
        self.emit("op", "(", ns)
        self.sub(ns, ne)
        self.emit("op", ")", ne)
        self.emit("op", "/", ne)
        self.emit("op", "(", ds)
        self.sub(ds, de)
        self.emit("op", ")", de)
        return done

    @staticmethod
    def _leibniz(part: str) -> str | None:
        m = re.fullmatch(
            r"\s*(?:\\partial|d|∂)\s*([A-Za-z][A-Za-z0-9]*(?:_\{?[A-Za-z0-9]+\}?)?)\s*", part
        )
        if m is None:
            return None
        return (
            m.group(1).replace("{", "").replace("}", "").replace("_", "")
            if re.search(r"_\{?\d", m.group(1))
            else m.group(1).replace("{", "").replace("}", "")
        )


def lex(text: str, emit: Emit) -> None:
    """Emit the plain-language tokens of a LaTeX expression."""
    _Lexer(text, emit).run(0, len(text))
