"""The one place where user text becomes structure.

Expressions are tokenised and parsed by a small recursive-descent grammar into the tree of
`backprop_coach.expr.tree`; nothing here calls `eval`, `sympify` or `parse_expr`, and every input
is bounded (length, nesting depth, node count, literal size) before any work is done.

Grammar (lowest precedence first)::

    compare  := expr (('>' | '<' | '>=' | '<=') expr)?     gives 1 or 0
    expr     := term (('+' | '-') term)*
    term     := unary (('*' | '/' | '@' | '⊙' | '∘' | '·' | juxtaposition) unary)*
    unary    := ('-' | '+') unary | power
    power    := postfix (('^' | '**') unary)?          right-associative; x^T is read in build
    postfix  := atom ('.T' | 'ᵀ' | '^⊤')*
    atom     := NUMBER | NAME | FUNC ("'" | '^' NUMBER)? '(' args ')' | '(' compare ')'
    args     := compare (',' compare)* (',' 'axis=' compare)?

Juxtaposition (`δ a.T`) and `·` are products whose reading (matrix, elementwise or dot product)
is decided by shapes when the tree is built (expr.symbolic); plain text and LaTeX reach that
one rule through the same tokens.

The same module parses the small specs the commands take (`NAME=EXPR`, `NAME=RxC`,
`NAME=KIND`, `NAME=VALUE`) and a learner's numbers (`parse_number`, with their significant
figures); its sibling expr.quantity reads `trace --check`'s `delta2=[0.13, -0.04]` with them.
User text enters through these two modules of the expr package only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from backprop_coach.expr.errors import ExprError, LimitError, ParseError, SpecError
from backprop_coach.expr.functions import (
    DIFFERENTIABLE,
    FUNCTIONS,
    LETTER_FUNCTIONS,
    canonical_function,
    unknown_function,
)
from backprop_coach.expr.tree import (
    COMPARISONS,
    BinOp,
    Call,
    Deriv,
    Name,
    Neg,
    Node,
    Num,
    Transpose,
    count_nodes,
)

MAX_LENGTH = 2000
MAX_DEPTH = 60
MAX_NODES = 1500
MAX_DIGITS = 30
MAX_EXPONENT = 300
MAX_MATRIX_ENTRIES = 1024  # 32x32

_NUMBER = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_DIGITS = "0123456789"
_SPACES = " \t\r\n\u00a0"
_MULTIPLY = {"*", "⊙", "∘", "∗"}
_PRODUCT = {
    "·",
    "×",
    "⋅",
    "∙",
}  # matrix product when the shapes conform as matrices, else elementwise
_MINUS = {"-", "−", "–", "‐", "‑"}
# spellings pasted from rendered math: prime marks, a division sign, fullwidth brackets
_SAME_AS = {
    "′": "'", "’": "'", "÷": "/", "（": "(", "）": ")", "［": "(", "］": ")",
}  # fmt: skip
_SUPERSCRIPT = {ch: str(i) for i, ch in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")}
_COMPARE = {">=": ">=", "<=": "<=", "≥": ">=", "≤": "<=", ">": ">", "<": "<"}
_TRANSPOSE_MARKS = ("ᵀ", "⊤")
_AXIS = re.compile(r"axis\s*=")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "num", "name", "op", "end"
    text: str
    col: int  # 1-based column


def _is_name_start(ch: str) -> bool:
    return ch.isalpha() and ch != "ᵀ" and ch.isidentifier()


def _is_name_char(ch: str) -> bool:
    return (ch.isalnum() or ch == "_") and ch != "ᵀ" and ("a" + ch).isidentifier()


# h₂ as printed in a prompt is the name h2
_SUBSCRIPT_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


_LEIBNIZ = re.compile(r"(d|∂)\s*([^\W\d_]\w*)\s*/\s*(d|∂)\s*([^\W\d_]\w*)")


def _leibniz(text: str, i: int, quantities: frozenset[str] | None) -> re.Match[str] | None:
    """A Leibniz term at i: ∂L/∂w always; dL/dw only when both names are known quantities
    (so that a name such as `delta` is never read as d·elta)."""
    m = _LEIBNIZ.match(text, i)
    if m is None:
        return None
    if m.group(1) == "∂" and m.group(3) == "∂":
        return m
    if m.group(1) == "d" and m.group(3) == "d" and quantities is not None:
        if m.group(2) in quantities and m.group(4) in quantities:
            return m
    return None


def within_limit(
    text: str, what: str = "input", error: type[ExprError] = LimitError
) -> None:
    """Refuse text longer than MAX_LENGTH before any work is done on it."""
    if len(text) > MAX_LENGTH:
        raise error(f"{what} too long ({len(text):,} characters; the limit is {MAX_LENGTH:,})")


_LIBRARIES = ("torch", "np", "numpy", "F", "nn", "tf", "jnp")
_METHODS = {"t": "x.T", "T": "x.T", "sum": "sum(x, axis=0)", "mean": "mean(x, axis=0)",
            "transpose": "x.T"}  # fmt: skip


def _dot_help(text: str, i: int, tokens: list[Token]) -> str:
    """What to write instead of a '.' that is neither a decimal point nor `.T`: PyTorch and
    numpy spellings (torch.sigmoid(z), X.t(), G.sum(axis=0)) get the language's own."""
    said = "'.' is only allowed in numbers and in the transpose '.T'"
    before = tokens[-1].text if tokens and tokens[-1].kind == "name" else ""
    after = re.match(r"\.\s*([A-Za-z_]\w*)", text[i:])
    if before in _LIBRARIES and after:
        return f"{said}: write {after.group(1)}(...) rather than {before}.{after.group(1)}(...)"
    if after and after.group(1) in _METHODS:
        return f"{said}: write {_METHODS[after.group(1)]} rather than x.{after.group(1)}(...)"
    return said


def tokenize(text: str, quantities: frozenset[str] | None = None) -> list[Token]:
    """Split `text` into tokens; raise ParseError naming the column of anything unexpected.
    `quantities`, when given, are the names a dL/da Leibniz term may use."""
    within_limit(text)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = _SAME_AS.get(text[i], text[i])
        col = i + 1
        if ch in _SPACES:
            i += 1
            continue
        if ch in "d∂":
            m = _leibniz(text, i, quantities)
            if m is not None:
                tokens.append(Token("deriv", f"{m.group(2)}/{m.group(4)}", col))
                i = m.end()
                continue
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            m = _NUMBER.match(text, i)
            assert m is not None  # a digit always matches
            if text[m.end() : m.end() + 1] == "." and text[m.end() + 1 : m.end() + 2] in (
                *_DIGITS,
                ".",
            ):
                shown = text[i : m.end() + 2]
                raise ParseError(f"malformed number {shown!r}: a number has at most one '.'", col)
            tokens.append(Token("num", m.group(0), col))
            i = m.end()
            continue
        if _is_name_start(ch):
            j = i + 1
            while j < n and (_is_name_char(text[j]) or text[j] in "₀₁₂₃₄₅₆₇₈₉"):
                j += 1
            axis = _AXIS.match(text, i)
            if axis is not None and j == i + 4:  # sum(X, axis=0)
                tokens.append(Token("op", "axis=", col))
                i = axis.end()
                continue
            tokens.append(Token("name", text[i:j].translate(_SUBSCRIPT_DIGITS), col))
            i = j
            continue
        if ch == "_":
            raise ParseError("names start with a letter (leading underscores are not allowed)", col)
        if ch in _SUPERSCRIPT:  # a² is a^2
            j = i
            while j < n and text[j] in _SUPERSCRIPT:
                j += 1
            tokens.append(Token("op", "^", col))
            tokens.append(Token("num", "".join(_SUPERSCRIPT[c] for c in text[i:j]), col))
            i = j
            continue
        if ch in _TRANSPOSE_MARKS:  # xᵀ, x⊤
            tokens.append(Token("op", ".T", col))
            i += 1
            continue
        if ch == "^":  # x^⊤ and x^ᵀ are transposes too
            j = i + 1
            while j < n and text[j] in _SPACES:
                j += 1
            if j < n and text[j] in _TRANSPOSE_MARKS:
                tokens.append(Token("op", ".T", col))
                i = j + 1
                continue
        if ch == "∑":
            tokens.append(Token("name", "sum", col))
            i += 1
            continue
        two = text[i : i + 2]
        if two in _COMPARE or ch in _COMPARE:
            op = two if two in _COMPARE else ch
            tokens.append(Token("op", _COMPARE[op], col))
            i += len(op)
            continue
        if text.startswith("**", i):
            tokens.append(Token("op", "^", col))
            i += 2
            continue
        if (
            ch == "."
            and text.startswith(".T", i)
            and not (i + 2 < n and _is_name_char(text[i + 2]))
        ):
            tokens.append(Token("op", ".T", col))
            i += 2
            continue
        if ch in _MULTIPLY:
            tokens.append(Token("op", "*", col))
            i += 1
            continue
        if ch in _PRODUCT:
            tokens.append(Token("op", "·", col))
            i += 1
            continue
        if ch in _MINUS:
            tokens.append(Token("op", "-", col))
            i += 1
            continue
        if ch in "+/^@(),'":
            tokens.append(Token("op", ch, col))
            i += 1
            continue
        if ch == ".":
            raise ParseError(_dot_help(text, i, tokens), col)
        if ch == "=":
            raise ParseError(_equals_help(text, i, tokens), col)
        if ch in _LOOKALIKE_OPERATORS:
            raise ParseError(
                f"unexpected character '{ch}' (U+{ord(ch):04X}): {_LOOKALIKE_OPERATORS[ch]}", col
            )
        shown = repr(ch) if not ch.isprintable() or ch in "\"'" else f"'{ch}'"
        raise ParseError(f"unexpected character {shown}", col)
    tokens.append(Token("end", "", n + 1))
    return tokens


def _equals_help(text: str, i: int, tokens: list[Token]) -> str:
    """What a '=' in an expression most likely meant."""
    if tokens and tokens[-1].text == "axis=":
        return "write axis=0 with one '='"
    if text.startswith("==", i):
        return "'==' is not supported: a mask is written z > 0 or z >= 0 (1 where true, else 0)"
    if text.startswith("=>", i) or text.startswith("=<", i):
        return f"did you mean {text[i + 1]}= ?"
    opened = sum(t.text == "(" for t in tokens) - sum(t.text == ")" for t in tokens)
    if opened > 0 and tokens and tokens[-1].kind == "name":
        return (
            f"'{tokens[-1].text}=' is not understood: the one keyword is axis, as in "
            "sum(X, axis=0), which keeps dimensions like numpy's keepdims=True"
        )
    return "write only the expression, without 'dL/dw =' in front"


# characters pasted from rendered math or a phone keyboard, and what to type instead
_LOOKALIKE_OPERATORS = {
    "|": "for an absolute value write abs(x), for a norm norm(x)",
    "≠": "comparisons are >, <, >= and <=",
    "[": "brackets are ( and ) (square brackets are LaTeX-only)",
    "]": "brackets are ( and ) (square brackets are LaTeX-only)",
}


@dataclass
class Parsed:
    """A parsed expression and whether implicit multiplication was read into it."""

    tree: Node
    implicit: bool
    source: str


def tokenize_latex(text: str) -> list[Token]:
    """LaTeX to the same tokens as the plain language (expr.latex does the lexing)."""
    from backprop_coach.expr.latex import lex

    within_limit(text)
    tokens: list[Token] = []

    def emit(kind: str, value: str, index: int) -> None:
        tokens.append(Token(kind, value, index + 1))

    lex(text, emit)
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


INPUT_FORMATS = ("auto", "plain", "latex")


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.implicit = False

    # -- token helpers -------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def at_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def expect(self, op: str, what: str) -> Token:
        if not self.at_op(op):
            raise ParseError(f"expected {what}, found {self.describe(self.tok)}", self.tok.col)
        return self.advance()

    @staticmethod
    def describe(tok: Token) -> str:
        return "end of input" if tok.kind == "end" else f"'{tok.text}'"

    def enter(self, col: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise LimitError(f"expression nested too deeply (more than {MAX_DEPTH} levels)", col)

    # -- grammar ---------------------------------------------------------------------------
    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise ParseError("empty expression: expected a formula such as (a - y)*x", 1)
        node = self.compare()
        if self.tok.kind != "end":
            if self.at_op(")"):
                raise ParseError("unmatched ')'", self.tok.col)
            raise ParseError(
                f"expected an operator or end of input, found {self.describe(self.tok)}",
                self.tok.col,
            )
        return node

    def compare(self) -> Node:
        node = self.expr()
        if self.at_op(*COMPARISONS):
            op = self.advance().text
            node = BinOp(op, node, self.expr())
            if self.at_op(*COMPARISONS):
                raise ParseError(
                    "chained comparisons are not supported: write (a < b)*(b < c)", self.tok.col
                )
        return node

    def expr(self) -> Node:
        self.enter(self.tok.col)
        node = self.term()
        while self.at_op("+", "-"):
            op = self.advance().text
            node = BinOp(op, node, self.term())
        self.depth -= 1
        return node

    def starts_atom(self) -> bool:
        return self.tok.kind in ("num", "name", "deriv") or self.at_op("(")

    def term(self) -> Node:
        node = self.unary()
        while True:
            if self.at_op("*", "/", "@", "·"):
                op = self.advance().text
                node = BinOp(op, node, self.unary())
            elif self.starts_atom():
                self.implicit = True
                node = BinOp("juxt", node, self.unary())
            elif self.at_op("'"):
                raise ParseError(_PRIME_HELP, self.tok.col)
            else:
                return node

    def unary(self) -> Node:
        if self.at_op("-", "+"):
            tok = self.advance()
            self.enter(tok.col)
            operand = self.unary()
            self.depth -= 1
            return Neg(operand) if tok.text == "-" else operand
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.at_op("^"):
            tok = self.advance()
            self.enter(tok.col)
            exponent = self.unary()
            self.depth -= 1
            if isinstance(exponent, Transpose) and isinstance(exponent.operand, Num):
                # a¹ᵀ, x²ᵀ: the transpose of the power (a number has no transpose of its own)
                return Transpose(BinOp("^", base, exponent.operand))
            return BinOp("^", base, exponent)
        return base

    def postfix(self) -> Node:
        node = self.atom()
        while self.at_op(".T"):
            self.advance()
            node = Transpose(node)
        return node

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.advance()
            return _number(tok)
        if tok.kind == "deriv":
            self.advance()
            num, den = tok.text.split("/")
            return Deriv(num, den, tok.col)
        if tok.kind == "name":
            self.advance()
            return self.name_or_call(tok)
        if self.at_op("("):
            before = self.tokens[self.pos - 1] if self.pos else None
            self.advance()
            self.enter(tok.col)
            node = self.compare()
            self.depth -= 1
            if self.at_op(",") and before is not None and before.kind == "name":
                raise unknown_function(before.text, before.col)  # foo(a, b): no product
            self.expect(")", f"')' to close the '(' at column {tok.col}")
            return node
        if tok.kind == "end":
            raise ParseError("unexpected end of input: expected a number, a name or '('", tok.col)
        raise ParseError(f"expected a number, a name or '(', found {self.describe(tok)}", tok.col)

    def power_length(self) -> int:
        """How many tokens a function's power takes at the cursor: 2 for ^2 (and ²), 4 for
        ^(2); 0 when there is none."""
        ahead = self.tokens[self.pos : self.pos + 4]
        texts = [t.text for t in ahead]
        if texts[:1] != ["^"]:
            return 0
        if len(ahead) > 1 and ahead[1].kind == "num":
            return 2
        if texts[1:2] == ["("] and len(ahead) > 2 and ahead[2].kind == "num" and texts[3:] == [")"]:
            return 4
        return 0

    def function_power(self, tok: Token) -> Num:
        """tanh^2(z), tanh^(2)(z), σ²(z): the power of the value, as textbooks write it."""
        length = self.power_length()
        if length:
            tokens = [self.advance() for _ in range(length)]
            return _number(tokens[1 if length == 2 else 2])
        after = [t.text for t in self.tokens[self.pos + 1 : self.pos + 3]]
        if after[:1] == ["-"] or after == ["(", "-"]:
            raise ParseError(
                f"{tok.text}^-1 is the inverse function, which the language does not have; "
                f"for a reciprocal write 1/{tok.text}(z)",
                self.tok.col,
            )
        raise ParseError(
            f"after {tok.text}^ write a whole number and the argument, e.g. {tok.text}^2(z)",
            self.tok.col,
        )

    def called(self) -> bool:
        """Whether the name just read is written as a call: f(, f'(, f^2(, f^(2)(, f²(."""
        after = self.tokens[self.pos + self.power_length()]
        return self.at_op("'") or (after.kind == "op" and after.text == "(")

    def name_or_call(self, tok: Token) -> Node:
        func = canonical_function(tok.text)
        if tok.text in LETTER_FUNCTIONS and not self.called():
            return Name(tok.text, tok.col)  # σ as a quantity: σ^2 is a variance
        if func is None:
            if self.at_op("'"):
                raise ParseError(
                    f"{tok.text}' : {_PRIME_HELP}; for the derivative of an activation write "
                    f"f'(z) with one of {', '.join(sorted(DIFFERENTIABLE))}",
                    self.tok.col,
                )
            return Name(tok.text, tok.col, called=self.at_op("("))
        prime = False
        if self.at_op("'"):
            if func not in DIFFERENTIABLE:
                raise ParseError(
                    f"{tok.text}' is not supported; prime notation works for "
                    f"{', '.join(sorted(DIFFERENTIABLE))}",
                    self.tok.col,
                )
            self.advance()
            prime = True
        exponent: Node | None = None
        if self.at_op("^"):
            exponent = self.function_power(tok)
        if not self.at_op("("):
            shown = f"{tok.text}{chr(39) if prime else ''}"
            if prime or exponent is not None:
                raise ParseError(
                    f"expected '(' after {shown}, found {self.describe(self.tok)}", self.tok.col
                )
            raise ParseError(f"function {tok.text} needs its argument in parentheses", tok.col)
        open_tok = self.advance()
        self.enter(open_tok.col)
        info = FUNCTIONS[func]
        args = [self.compare()]
        while self.at_op(","):
            self.advance()
            if self.at_op("axis="):
                if info.keyword != "axis":
                    raise ParseError(f"{tok.text} takes no axis", self.tok.col)
                self.advance()
            args.append(self.compare())
        self.depth -= 1
        self.expect(")", f"')' to close {tok.text}( at column {open_tok.col}")
        low, high = info.arity
        if not low <= len(args) <= high:
            raise ParseError(f"{tok.text} takes {info.arity_text()}, got {len(args)}", tok.col)
        if info.keyword == "axis" and len(args) == 2:
            args[1] = _axis(tok.text, args[1], open_tok.col)
        call: Node = Call(func, tuple(args), prime, tok.col)
        return BinOp("^", call, exponent) if exponent is not None else call


def _axis(func: str, node: Node, col: int) -> Num:
    """The axis of sum(X, axis=...): 0 or 1, or numpy's -2 and -1 for them (shapes are 2-D)."""
    sign = 1
    if isinstance(node, Neg):
        sign, node = -1, node.operand
    if isinstance(node, Num) and node.value.denominator == 1:
        axis = sign * node.value.numerator
        if axis in (0, 1, -1, -2):
            return Num(str(axis % 2), Fraction(axis % 2), node.col)
    raise ParseError(
        f"{func}(X, axis=...): the axis is 0 (down the rows, giving a 1xC row) or 1 (along each "
        "row, giving an Rx1 column); numpy's -1 and -2 mean 1 and 0",
        col,
    )


_PRIME_HELP = (
    "a prime after a name or a bracket is not a transpose (the prime means f', the derivative); "
    "for a transpose write x.T or xᵀ"
)


def _number(tok: Token) -> Num:
    m = _NUMBER.fullmatch(tok.text)
    assert m is not None
    mantissa, exponent = m.group(1), m.group(2)
    if len(mantissa.replace(".", "")) > MAX_DIGITS:
        raise LimitError(f"number {tok.text[:20]}... has more than {MAX_DIGITS} digits", tok.col)
    if exponent and abs(int(exponent[1:])) > MAX_EXPONENT:
        raise LimitError(f"exponent of {tok.text} is out of range (|e| <= {MAX_EXPONENT})", tok.col)
    return Num(tok.text, Fraction(tok.text), tok.col)


def parse(text: str, quantities: frozenset[str] | None = None, fmt: str = "auto") -> Parsed:
    """Parse `text` in the expression language, or LaTeX (`fmt` "latex", or "auto" when a
    backslash or a brace marks it); raise an ExprError subclass on bad input. With
    `quantities`, Leibniz terms dL/da over those names are read too (step checking)."""
    from backprop_coach.expr.latex import looks_like_latex

    latex = fmt == "latex" or (fmt == "auto" and looks_like_latex(text))
    # LaTeX juxtaposition (W^\top \delta) is a product: matrix product where the shapes conform
    parser = _Parser(tokenize_latex(text) if latex else tokenize(text, quantities))
    tree = parser.parse()
    nodes = count_nodes(tree)
    if nodes > MAX_NODES:
        raise LimitError(f"expression too large ({nodes} nodes; the limit is {MAX_NODES})")
    return Parsed(tree, parser.implicit, text)


# -- specs: NAME=EXPR, NAME=RxC, NAME=KIND, NAME=VALUE ----------------------------------------

# real first; then the stricter ones, each special case before the more general one it is part of
DOMAINS = (
    "real", "onehot", "simplex", "onehot_rows", "simplex_rows", "binary", "positive", "unit",
)  # fmt: skip


def _split_spec(text: str, field: str, example: str) -> tuple[str, str]:
    within_limit(text, f"{field} value", SpecError)
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value:
        raise SpecError(f"expects NAME=VALUE (for example {example}), got {text!r}", field)
    check_name(name, field)
    return name, value


def check_name(name: str, field: str) -> str:
    """Validate a bare name given in a spec (`field`: wrt, shape, ...)."""
    if not (name[:1].isalpha() and all(_is_name_char(c) for c in name)):
        raise SpecError(
            f"{name!r} is not a name (letters, digits and _, starting with a letter)", field
        )
    if canonical_function(name) is not None and name not in LETTER_FUNCTIONS:
        raise SpecError(f"{name!r} is a function name and cannot name a quantity", field)
    return name


def split_let(text: str) -> tuple[str, str]:
    """`NAME=EXPR` for a let; the expression is parsed when the problem is built."""
    return _split_spec(text, "let", "z=w*x+b")


def parse_shape(text: str) -> tuple[str, tuple[int, int]]:
    name, value = _split_spec(text, "shape", "W=2x3")
    m = re.fullmatch(r"([0-9]{1,5})\s*[xX×,]\s*([0-9]{1,5})", value) or re.fullmatch(
        r"([0-9]{1,5})", value
    )
    if m is None:
        raise SpecError(f"{name}: expected ROWSxCOLS such as 3x1, got {value!r}", "shape")
    rows = int(m.group(1))
    cols = int(m.group(2)) if m.lastindex == 2 else 1
    if rows < 1 or cols < 1:
        raise SpecError(f"{name}: dimensions must be at least 1, got {rows}x{cols}", "shape")
    if rows * cols > MAX_MATRIX_ENTRIES:
        raise SpecError(
            f"{name}: {rows}x{cols} has {rows * cols} entries; the limit is "
            f"{MAX_MATRIX_ENTRIES} (interview-sized examples are enough to decide a formula)",
            "shape",
        )
    return name, (rows, cols)


def parse_domain(text: str) -> tuple[str, str]:
    name, value = _split_spec(text, "domain", "y=onehot")
    kind = value.lower()
    if kind not in DOMAINS:
        raise SpecError(f"{name}: unknown domain {value!r}; known: {', '.join(DOMAINS)}", "domain")
    return name, kind


def parse_point(text: str) -> tuple[str, Fraction]:
    """`NAME=VALUE` for --at: the name and the exact value."""
    name, value = _split_spec(text, "at", "w=0.5")
    return name, parse_number(value, f"--at {name}").value


@dataclass(frozen=True)
class GivenNumber:
    """A number a learner typed, with what its digits say: `0.0822` is 822/10000 given to a unit
    of 0.0001 in its last digit, with 3 significant figures."""

    text: str
    value: Fraction
    unit: Fraction  # one unit in the last digit given; 1 for a whole number
    figures: int  # significant figures; 0 for zero


# a number in scientific notation as written by hand or in LaTeX: 1.463 × 10^-1,
# 1.463*10^(-1), 1.463 \cdot 10^{-1}, 1.463·10⁻¹ -> 1.463e-1 (the mantissa keeps its figures)
_SUPERSCRIPT_EXPONENT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SCIENTIFIC = re.compile(
    r"^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))\s*(?:\*|×|·|⋅|x|\\cdot|\\times)\s*10\s*"
    r"(?:\^|\*\*)\s*[{(]?\s*([+-]?)\s*([0-9]{1,3})\s*[})]?$"
)


def parse_number(text: str, where: str) -> GivenNumber:
    """A plain number a learner typed: its exact value, the unit of its last digit and its
    significant figures. Raises SpecError naming `where` for anything else."""
    text = text.strip().replace("−", "-")
    if "10" in text and ("⁻" in text or any(c in text for c in "⁰¹²³⁴⁵⁶⁷⁸⁹")):
        head, _, power = text.rpartition("10")
        text = f"{head}10^{power.translate(_SUPERSCRIPT_EXPONENT)}"
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()  # (1.463 × 10^{-1})
    text = _SCIENTIFIC.sub(r"\1e\2\3", text)  # 1.463 × 10^{-1} is 1.463e-1
    m = re.fullmatch(r"([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE]([+-]?[0-9]{1,3}))?", text)
    if m is None:
        raise SpecError(f"{where}: expected a number such as 0.0822 or -1.5e-3, got {text!r}")
    if len(m.group(2)) > MAX_DIGITS:
        raise SpecError(f"{where}: number has too many digits")
    mantissa = m.group(2)
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(m.group(3) or 0)
    if abs(exponent) > MAX_EXPONENT:
        raise SpecError(f"{where}: exponent of {text} is out of range (|e| <= {MAX_EXPONENT})")
    digits = mantissa.replace(".", "").lstrip("0")
    return GivenNumber(text, Fraction(text), Fraction(10) ** (exponent - decimals), len(digits))
