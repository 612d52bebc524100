"""The LaTeX lexer: turns `\\sigma'(z)`, `\\frac{\\partial L}{\\partial w}`, `W^\\top \\delta`,
`\\odot`, `e^{x}` into the plain language's tokens, which expr.parse then parses with the one
grammar, so LaTeX input yields the same trees under the same limits. Only expr.parse calls it.

    \\frac{A}{B}     -> (A)/(B)          \\frac{\\partial L}{\\partial w} -> the Leibniz term ∂L/∂w
    \\sqrt{A}        -> sqrt(A)          e^{A}                       -> exp(A)
    X^\\top, X^T     -> X.T              W^{(2)}                     -> the name W2
    x_{1}, w_{new}  -> x1, w_new        \\odot \\circ -> * (elementwise)
    \\cdot \\times and writing side by side -> · (the matrix product where shapes conform)
    \\sigma \\tanh \\exp \\log \\ln \\operatorname{relu}                 -> functions
    \\delta \\eta \\lambda ...         -> Greek names                  \\left( \\right) {...} -> parentheses
"""

from __future__ import annotations

import re
from collections.abc import Callable

from backprop_coach.expr.errors import LimitError, ParseError
from backprop_coach.expr.greek import FROM_LATEX

Emit = Callable[[str, str, int], None]  # (kind, text, col)

GREEK = FROM_LATEX  # \delta -> δ (expr.greek)
FUNCTIONS = {"tanh", "exp", "log", "ln", "max", "min", "cosh", "sinh", "tr", "sum", "sech"}
TIMES = {"odot": "*", "circ": "*", "ast": "*", "cdot": "·", "times": "·"}
COMPARE = {"geq": ">=", "ge": ">=", "leq": "<=", "le": "<=", "gt": ">", "lt": "<"}
# Unicode a learner may paste into LaTeX too: the same tokens as in plain text.
UNICODE = {
    "⊙": ("op", "*"), "∘": ("op", "*"), "·": ("op", "·"), "×": ("op", "·"), "ᵀ": ("op", ".T"),
    "⊤": ("op", ".T"), "≥": ("op", ">="), "≤": ("op", "<="), "−": ("op", "-"), "∑": ("name", "sum"),
}  # fmt: skip
SUPERSCRIPT = {ch: str(i) for i, ch in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")}
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
TRANSPOSE = {"top", "intercal", "mathsf{T}", "⊤", "ᵀ"}  # ^{T} is read as in plain text
_LAYER_INDEX = re.compile(
    r"[(\[]\s*([A-Za-z0-9]+)\s*[)\]]\s*(\\top|\\intercal|\\mathsf\{T\}|T|⊤|ᵀ)?"
)
WORD = {"operatorname", "mathrm", "text", "mathit", "textrm"}
FONT = {"mathbf", "boldsymbol", "bm", "vec", "mathbfit"}  # a styled group: its content
# an accent makes another quantity: \hat{y} (a prediction) is y_hat, never y itself
ACCENT = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde"}
_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
_NUMBER = re.compile(r"[0-9]+\.?[0-9]*|\.[0-9]+")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
MAX_GROUP_DEPTH = 60
DIGITS = "0123456789"


def _subscripted(name: str, sub: str | None) -> str:
    """x_{1} is the name x1; w_{new} is w_new."""
    if not sub:
        return name
    return name + sub if sub.isdigit() else f"{name}_{sub}"


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

    def group(self, i: int) -> tuple[int, int, int]:
        """(start, end, after): the span inside {...} (or a single character or command)
        starting at i, and the index just past it."""
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
                        return i + 1, j, j + 1
                j += 1
            raise self.fail("unclosed '{'", i)
        if self.text[i] == "\\":
            m = _COMMAND.match(self.text, i)
            if m is None:
                raise self.fail("a lone backslash", i)
            return i, m.end(), m.end()
        return i, i + 1, i + 1

    def skip_spaces(self, i: int) -> int:
        while i < len(self.text) and self.text[i] in " \t\n":
            i += 1
        return i

    def wrapped(self, start: int, end: int) -> None:
        """Lex text[start:end] as a parenthesised group."""
        self.emit("op", "(", start)
        self.sub(start, end)
        self.emit("op", ")", end)

    def sub(self, start: int, end: int) -> None:
        """Lex text[start:end] as a nested group."""
        self.depth += 1
        if self.depth > MAX_GROUP_DEPTH:
            raise LimitError(
                f"LaTeX nested too deeply (more than {MAX_GROUP_DEPTH} levels)", start + 1
            )
        self.run(start, end)
        self.depth -= 1

    def word(self, i: int) -> tuple[str, int]:
        start, end, after = self.group(i)
        content = self.text[start:end].strip()
        if not _NAME.fullmatch(content.replace("_", "")):
            raise self.fail(f"expected a name in braces, got {{{content}}}", start)
        return content, after

    def run(self, i: int, end: int) -> None:
        while i < end:
            i = self.step(i, end)

    def step(self, i: int, end: int) -> int:
        text, emit = self.text, self.emit
        ch = text[i]
        if ch in " \t\n":
            return i + 1
        if ch in DIGITS or (ch == "." and i + 1 < end and text[i + 1] in DIGITS):
            m = _NUMBER.match(text, i, end)
            assert m is not None
            emit("num", m.group(0), i)
            return m.end()
        if ch.isalpha() and ch.isidentifier() and ch != "ᵀ":
            m = _NAME.match(text, i, end)
            if m is None:  # a non-ASCII letter: one character name (Greek typed directly)
                return self.name(ch, i, i + 1, end)
            return self.name(m.group(0), i, m.end(), end)
        if ch == "{":
            start, close, after = self.group(i)
            self.wrapped(start, close)
            return after
        if ch in "([":
            emit("op", "(", i)
            return i + 1
        if ch in ")]":
            emit("op", ")", i)
            return i + 1
        if ch in "+-*/',@":
            emit("op", ch, i)
            return i + 1
        if ch in "<>":
            if text.startswith("=", i + 1):
                emit("op", ch + "=", i)
                return i + 2
            emit("op", ch, i)
            return i + 1
        if ch in UNICODE:
            emit(*UNICODE[ch], i)
            return i + 1
        if ch in SUPERSCRIPT:
            emit("op", "^", i)
            emit("num", SUPERSCRIPT[ch], i)
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
            s, e, i = self.group(i + 1)
            sub = self.text[s:e].strip().replace("{", "").replace("}", "")
            if not sub or not all(c.isalnum() for c in sub):
                raise self.fail(f"a subscript is letters or digits, got {sub!r}", s)
            name = _subscripted(name, sub)
        j = self.skip_spaces(i)
        transposed = False
        if j < end and self.text[j] == "^":
            s, e, after = self.group(j + 1)
            inner = self.text[s:e].strip()
            layer = _LAYER_INDEX.fullmatch(inner)
            if layer is not None:
                # W^{(2)}, a^{[1]} (Ng's brackets): the layer index, part of the name; and
                # a^{(1)\top}, a^{[1]T}: that name transposed
                name += layer.group(1)
                transposed = layer.group(2) is not None
                i = after
            elif name == "e" and inner.lstrip("\\") not in {*TRANSPOSE, "T"}:  # e^{x} is exp(x)
                self.emit("name", "exp", start)
                self.wrapped(s, e)
                return after
        if name == "axis" and self.text[self.skip_spaces(i) : self.skip_spaces(i) + 1] == "=":
            self.emit("op", "axis=", start)  # sum(X, axis=0)
            return self.skip_spaces(i) + 1
        self.emit("name", name, start)
        if transposed:
            self.emit("op", ".T", start)
        return i

    def superscript(self, i: int, end: int) -> int:
        s, e, after = self.group(i + 1)
        inner = self.text[s:e].strip()
        if inner in ("\\prime", "'"):  # f^{\prime}: the prime
            self.emit("op", "'", i)
        elif inner.lstrip("\\") in TRANSPOSE:
            self.emit("op", ".T", i)
        elif inner == "T":  # X^{T}: the transpose unless T is a name (decided in build, as X^T)
            self.emit("op", "^", i)
            self.emit("name", "T", s)
        elif inner.isascii() and inner.isdigit() and len(inner) <= 3:  # \tanh^2(z): a bare power
            self.emit("op", "^", i)
            self.emit("num", inner, s)
        else:
            self.emit("op", "^", i)
            self.wrapped(s, e)
        return after

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
        if cmd in COMPARE:
            self.emit("op", COMPARE[cmd], i)
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
        if cmd in ACCENT:
            start, close, done = self.group(after)
            inner = self.text[start:close].strip().lstrip("\\")
            base = GREEK.get(inner, inner)
            if not (base.isidentifier() and base.isalnum()):
                raise self.fail(f"\\{cmd} takes one name, as in \\{cmd}{{y}}", i)
            return self.name(f"{base}_{ACCENT[cmd]}", i, done, end)
        if cmd in FONT:  # \mathbf{W}, \boldsymbol{\delta}, \mathbf{(a - y)}
            start, close, done = self.group(after)
            self.wrapped(start, close)
            return done
        if cmd == "prime":  # \sigma^{\prime}(z) or \sigma^\prime(z)
            self.emit("op", "'", i)
            return after
        if cmd in ("frac", "dfrac", "tfrac"):
            return self.fraction(i, after)
        if cmd == "sqrt":
            s, e, done = self.group(after)
            self.emit("name", "sqrt", i)
            self.wrapped(s, e)
            return done
        if cmd == "partial":
            raise self.fail("write a derivative as \\frac{\\partial L}{\\partial w}", i)
        raise self.fail(f"unsupported LaTeX command \\{cmd}", i)

    def fraction(self, i: int, after: int) -> int:
        ns, ne, close = self.group(after)
        ds, de, done = self.group(close)
        num, den = self._leibniz(self.text[ns:ne]), self._leibniz(self.text[ds:de])
        if num and den:
            self.emit("deriv", f"{num}/{den}", i)
            return done
        self.wrapped(ns, ne)
        self.emit("op", "/", ne)
        self.wrapped(ds, de)
        return done

    @staticmethod
    def _leibniz(part: str) -> str | None:
        """`\\partial L`, `dL`, `∂w_{1}`: the quantity's name, or None."""
        m = re.fullmatch(
            r"\s*(?:\\partial|d|∂)\s*([A-Za-z][A-Za-z0-9]*)(?:_\{?([A-Za-z0-9]+)\}?)?\s*", part
        )
        return None if m is None else _subscripted(m.group(1), m.group(2))


def lex(text: str, emit: Emit) -> None:
    """Emit the plain-language tokens of a LaTeX expression."""
    _Lexer(text, emit).run(0, len(text))
