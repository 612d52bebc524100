"""Independent oracle for tests/data/notation_corpus.jsonl (a script, not a pytest module).
Run it with a Python that has sympy, numpy and scipy: `python3 tests/oracle/notation_oracle.py`.

Every case of the corpus is translated here BY HAND into SymPy: the loss, the lets and the claim
(see PROBLEMS and CASES below). Nothing from backprop_coach is imported or run. For each case the
script

  * checks that the texts in the JSONL (loss, let, shape, domain, wrt, claim) are exactly the
    texts this file translated, so a translation cannot drift away from its case;
  * builds the true gradient with sympy.diff, entry by entry (with respect to a let, the let is
    replaced by fresh symbols: upstream held fixed, backpropagation's delta), and confirms it
    against central finite differences of the loss;
  * evaluates truth and claim at random points (real ~ N(0, 1), positive in (0.1, 2), onehot and
    simplex per column) and derives the verdict: correct when equal everywhere within 1e-8
    relative, else incorrect; a claim whose own operands do not conform is a shape_error;
  * derives the diagnosis with the rules of the brief (shape -> transposed / shape_mismatch,
    sign_flip, square transposed, constant_factor, missing/extra factor, wrong) and checks it
    against `expect.diagnosis`, and refuses a factor diagnosis that another factor candidate
    would contradict.

The language semantics implemented here (independently of the grader):
  juxtaposition / '·': matrix product when the inner dimensions agree, else elementwise
  (two Nx1 vectors with '·' are a dot product); elementwise operations broadcast a 1xC row or an
  Rx1 column against an RxC matrix (numpy rule), anything else is a shape error; a 1x1 matrix is
  a scalar.

Run:  python tests/oracle/notation_oracle.py [-v] [--seed N] [--real-range R]
      exit status 0 when every case agrees; -v prints every case, not only disagreements.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import sympy as sp

CORPUS = Path(__file__).resolve().parents[1] / "data" / "notation_corpus.jsonl"
POINTS = 20
SEED = 20240611
RTOL = 1e-8
ATOL = 1e-11  # relative to the largest magnitude seen (noise around an exact zero)


# ----------------------------------------------------------------------------------------------
# values with shapes
# ----------------------------------------------------------------------------------------------


class ShapeErr(Exception):
    """The claim's own operands do not conform."""


class Ambiguous(Exception):
    """A juxtaposition this oracle refuses to guess about (two same-length column vectors)."""


def _scalar(x: object) -> sp.Expr:
    return sp.nsimplify(x) if isinstance(x, float) else sp.sympify(x)


class V:
    """A SymPy matrix; 1x1 is a scalar. Operators follow the language's elementwise rules."""

    __slots__ = ("m",)

    def __init__(self, m: object) -> None:
        if isinstance(m, V):
            m = m.m
        if not isinstance(m, sp.MatrixBase):
            m = sp.Matrix([[_scalar(m)]])
        self.m = sp.Matrix(m)

    @property
    def shape(self) -> tuple[int, int]:
        return self.m.shape

    @property
    def scalar(self) -> bool:
        return self.m.shape == (1, 1)

    @property
    def T(self) -> V:
        return V(self.m.T)

    def __add__(self, o: object) -> V:
        return ew(lambda u, v: u + v, self, o)

    def __radd__(self, o: object) -> V:
        return ew(lambda u, v: u + v, o, self)

    def __sub__(self, o: object) -> V:
        return ew(lambda u, v: u - v, self, o)

    def __rsub__(self, o: object) -> V:
        return ew(lambda u, v: u - v, o, self)

    def __mul__(self, o: object) -> V:
        return ew(lambda u, v: u * v, self, o)

    def __rmul__(self, o: object) -> V:
        return ew(lambda u, v: u * v, o, self)

    def __truediv__(self, o: object) -> V:
        return ew(lambda u, v: u / v, self, o)

    def __rtruediv__(self, o: object) -> V:
        return ew(lambda u, v: u / v, o, self)

    def __pow__(self, o: object) -> V:
        return ew(lambda u, v: u**v, self, o)

    def __neg__(self) -> V:
        return V(-self.m)

    def __matmul__(self, o: object) -> V:
        return mm(self, o)


def lift(x: object) -> V:
    return x if isinstance(x, V) else V(x)


def ew(f: Callable[..., sp.Expr], *args: object) -> V:
    """Elementwise with numpy's 2-D broadcasting: every dimension equal to the result's or 1
    (a row or a column against a matrix; a column against a row gives the outer shape)."""
    vals = [lift(a) for a in args]
    big = [v.shape for v in vals if not v.scalar]
    if not big:
        return V(f(*(v.m[0, 0] for v in vals)))
    rows, cols = max(s[0] for s in big), max(s[1] for s in big)
    for s in big:
        if s[0] not in (1, rows) or s[1] not in (1, cols):
            raise ShapeErr(f"cannot combine {big}")

    def get(v: V, i: int, j: int) -> sp.Expr:
        r, c = v.shape
        return v.m[i if r > 1 else 0, j if c > 1 else 0]

    return V(sp.Matrix(rows, cols, lambda i, j: f(*(get(v, i, j) for v in vals))))


def mm(a: object, b: object) -> V:
    """'@': the matrix product (a scalar operand makes it elementwise)."""
    a, b = lift(a), lift(b)
    if a.scalar or b.scalar:
        return a * b
    if a.shape[1] != b.shape[0]:
        raise ShapeErr(f"cannot multiply {a.shape} @ {b.shape}")
    return V(a.m * b.m)


def jx(a: object, b: object) -> V:
    """Juxtaposition: matrix product when the inner dimensions agree, else elementwise for equal
    shapes or a scalar; any other pair of shapes does not conform (no broadcasting)."""
    a, b = lift(a), lift(b)
    if not a.scalar and not b.scalar:
        if a.shape[1] == b.shape[0]:
            return V(a.m * b.m)
        if a.shape == b.shape and a.shape[1] == 1:
            raise Ambiguous("juxtaposed same-length column vectors")
        if a.shape != b.shape:
            raise ShapeErr(f"side by side {a.shape} and {b.shape}")
    return a * b


def cdot(a: object, b: object) -> V:
    """'·': like juxtaposition, and the dot product of two same-length column vectors."""
    a, b = lift(a), lift(b)
    if not a.scalar and a.shape == b.shape and a.shape[1] == 1:
        return dot(a, b)
    return jx(a, b)


# -- functions ---------------------------------------------------------------------------------


def _map(f: Callable[[sp.Expr], sp.Expr]) -> Callable[[object], V]:
    return lambda v: ew(f, v)


def _sigmoid(u: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-u))


def _heaviside(u: sp.Expr) -> sp.Expr:
    return sp.Heaviside(u, 0)


sig = _map(_sigmoid)
dsig = _map(lambda u: _sigmoid(u) * (1 - _sigmoid(u)))
tanh = _map(sp.tanh)
dtanh = _map(lambda u: 1 - sp.tanh(u) ** 2)
relu = _map(lambda u: sp.Max(0, u))
drelu = _map(_heaviside)
step = _map(_heaviside)
softplus = _map(lambda u: sp.log(1 + sp.exp(u)))
dsoftplus = sig
exp = _map(sp.exp)
log = _map(sp.log)
sqrt = _map(sp.sqrt)
absv = _map(sp.Abs)
sign = _map(sp.sign)
cosh = _map(sp.cosh)
sinh = _map(sp.sinh)
erf = _map(sp.erf)
PI = V(sp.pi)


def vmax(a: object, b: object) -> V:
    return ew(sp.Max, a, b)


def vmin(a: object, b: object) -> V:
    return ew(sp.Min, a, b)


def gt(a: object, b: object) -> V:
    """a > b as 1 or 0 (a tie never happens at the sampled points)."""
    return ew(lambda u, v: sp.Heaviside(u - v, 0), a, b)


def lt(a: object, b: object) -> V:
    return gt(b, a)


def ssum(v: object, axis: int | None = None) -> V:
    v = lift(v)
    if axis is None:
        return V(sum(v.m))
    r, c = v.shape
    if axis == 0:
        return V(sp.Matrix(1, c, lambda _, j: sum(v.m[i, j] for i in range(r))))
    return V(sp.Matrix(r, 1, lambda i, _: sum(v.m[i, j] for j in range(c))))


def mean(v: object, axis: int | None = None) -> V:
    v = lift(v)
    r, c = v.shape
    n = r * c if axis is None else (r if axis == 0 else c)
    return ssum(v, axis) / n


def _column(v: V, what: str) -> None:
    if v.shape[1] != 1 or v.scalar:
        raise ShapeErr(f"{what} expects a column vector, got {v.shape}")


def softmax(v: object) -> V:
    v = lift(v)
    _column(v, "softmax")
    e = exp(v)
    return e / ssum(e)


def logsumexp(v: object) -> V:
    v = lift(v)
    _column(v, "logsumexp")
    return log(ssum(exp(v)))


def log_softmax(v: object) -> V:
    v = lift(v)
    return v - logsumexp(v)


def dot(a: object, b: object) -> V:
    a, b = lift(a), lift(b)
    if a.shape != b.shape or a.shape[1] != 1:
        raise ShapeErr(f"dot of {a.shape} and {b.shape}")
    return ssum(a * b)


def outer(a: object, b: object) -> V:
    return mm(a, lift(b).T)


def norm(v: object) -> V:
    return sqrt(ssum(lift(v) ** 2))


def trace(v: object) -> V:
    v = lift(v)
    if v.shape[0] != v.shape[1]:
        raise ShapeErr("trace of a non-square matrix")
    return V(v.m.trace())


# ----------------------------------------------------------------------------------------------
# problems and cases, translated by hand
# ----------------------------------------------------------------------------------------------

Fn = Callable[["Env"], V]


class Env(dict):  # type: ignore[type-arg]
    """name -> V, readable as attributes (e.W1, e.δ2)."""

    def __getattr__(self, name: str) -> V:
        try:
            return self[name]
        except KeyError as err:
            raise AttributeError(name) from err


@dataclass
class Problem:
    key: str
    prims: list[str]
    shapes: list[str]
    domains: list[str]
    lets: list[tuple[str, str, Fn]]
    loss: tuple[str, Fn]
    acts: list[tuple[str, str, Fn]] = field(default_factory=list)  # (kind, label of u, u)
    extras: list[tuple[str, Fn]] = field(default_factory=list)  # other candidate factors


@dataclass
class Case:
    id: str
    problem: str
    wrt: str
    claim: str
    fn: Fn


PROBLEMS: dict[str, Problem] = {}
CASES: list[Case] = []


def problem(
    key: str,
    prims: str,
    shapes: list[str],
    domains: list[str],
    lets: list[tuple[str, str, Fn]],
    loss: tuple[str, Fn],
    acts: list[tuple[str, str, Fn]] | None = None,
    extras: list[tuple[str, Fn]] | None = None,
) -> None:
    assert key not in PROBLEMS
    PROBLEMS[key] = Problem(
        key, prims.split(), shapes, domains, lets, loss, acts or [], extras or []
    )


def case(id_: str, key: str, wrt: str, claim: str, fn: Fn) -> None:
    CASES.append(Case(id_, key, wrt, claim, fn))


# One line per case: id, problem, wrt, the claim as the corpus writes it, its translation.
# fmt: off

# -- column layout, a batch as columns: A = W X ------------------------------------------------
problem(
    "lincol", "W X Y", ["W=2x3", "X=3x4", "Y=2x4"], [],
    [("A", "W@X", lambda e: e.W @ e.X)],
    ("sum((A - Y)^2)/2", lambda e: ssum((e.A - e.Y) ** 2) / 2),
)
case("nt-lincol-dw-juxt", "lincol", "W", "(A - Y) X.T", lambda e: jx(e.A - e.Y, e.X.T))
case("nt-lincol-dw-caret", "lincol", "W", "(A - Y) X^T", lambda e: jx(e.A - e.Y, e.X.T))
case("nt-lincol-dw-latex", "lincol", "W", r"\left(A - Y\right) X^{T}", lambda e: jx(e.A - e.Y, e.X.T))
case("nt-lincol-dw-inline", "lincol", "W", "(W X - Y) Xᵀ", lambda e: jx(jx(e.W, e.X) - e.Y, e.X.T))
case("nt-lincol-dw-cdot", "lincol", "W", "(A - Y)·X^⊤", lambda e: cdot(e.A - e.Y, e.X.T))
case("nt-lincol-dw-swapped", "lincol", "W", "X (A - Y).T", lambda e: jx(e.X, (e.A - e.Y).T))
case("nt-lincol-dw-no-t", "lincol", "W", "(A - Y) X", lambda e: jx(e.A - e.Y, e.X))
case("nt-lincol-dw-sign", "lincol", "W", "(Y - A) X.T", lambda e: jx(e.Y - e.A, e.X.T))
case("nt-lincol-dw-double", "lincol", "W", "2(A - Y) X.T", lambda e: jx(jx(2, e.A - e.Y), e.X.T))
case("nt-lincol-dx", "lincol", "X", "W.T (A - Y)", lambda e: jx(e.W.T, e.A - e.Y))
case("nt-lincol-dx-latex", "lincol", "X", r"W^\top (A - Y)", lambda e: jx(e.W.T, e.A - e.Y))
case("nt-lincol-dx-no-t", "lincol", "X", "W (A - Y)", lambda e: jx(e.W, e.A - e.Y))
case("nt-lincol-dx-transposed", "lincol", "X", "(A - Y).T W", lambda e: jx((e.A - e.Y).T, e.W))

# -- the textbook two-layer sigmoid net, column vectors, delta2 as a let ------------------------
TWO_LETS: list[tuple[str, str, Fn]] = [
    ("z1", "W1@x + b1", lambda e: e.W1 @ e.x + e.b1),
    ("a1", "sigmoid(z1)", lambda e: sig(e.z1)),
    ("z2", "W2@a1 + b2", lambda e: e.W2 @ e.a1 + e.b2),
    ("a2", "sigmoid(z2)", lambda e: sig(e.z2)),
    ("δ2", "(a2 - y)*a2*(1 - a2)", lambda e: (e.a2 - e.y) * e.a2 * (1 - e.a2)),
]
problem(
    "two", "W1 x b1 W2 b2 y",
    ["W1=3x2", "b1=3x1", "W2=2x3", "b2=2x1", "x=2x1", "y=2x1"], [],
    TWO_LETS,
    ("sum((a2 - y)^2)/2", lambda e: ssum((e.a2 - e.y) ** 2) / 2),
    acts=[("sigmoid", "z1", lambda e: e.z1), ("sigmoid", "z2", lambda e: e.z2)],
    extras=[("sum((a2 - y)^2)", lambda e: ssum((e.a2 - e.y) ** 2))],
)
case("nt-two-dw2-delta", "two", "W2", "δ2 a1.T", lambda e: jx(e.δ2, e.a1.T))
case("nt-two-dw2-caret", "two", "W2", "δ2 a1^T", lambda e: jx(e.δ2, e.a1.T))
case("nt-two-dw2-latex", "two", "W2", r"\delta_2 a_1^{T}", lambda e: jx(e.δ2, e.a1.T))
case("nt-two-dw2-outer", "two", "W2", "outer(δ2, a1)", lambda e: outer(e.δ2, e.a1))
case("nt-two-dw2-transposed", "two", "W2", "a1 δ2.T", lambda e: jx(e.a1, e.δ2.T))
case("nt-two-dw2-uses-x", "two", "W2", "δ2 x.T", lambda e: jx(e.δ2, e.x.T))
case("nt-two-dw2-no-t", "two", "W2", "δ2 a1", lambda e: jx(e.δ2, e.a1))
case("nt-two-delta1", "two", "z1", "W2^T δ2 ⊙ σ'(z1)", lambda e: jx(e.W2.T, e.δ2) * dsig(e.z1))
case("nt-two-delta1-paren-sup", "two", "z1", "(W2)ᵀ δ2 * sigma'(z1)", lambda e: jx(e.W2.T, e.δ2) * dsig(e.z1))
case("nt-two-delta1-latex", "two", "z1", r"W_2^\top \delta_2 \odot \sigma'(z_1)", lambda e: jx(e.W2.T, e.δ2) * dsig(e.z1))
case("nt-two-delta1-a1", "two", "z1", "W2.T δ2 ⊙ a1 ⊙ (1 - a1)", lambda e: jx(e.W2.T, e.δ2) * e.a1 * (1 - e.a1))
case("nt-two-delta1-sigma-sq", "two", "z1", "W2^⊤ δ2 ⊙ (σ(z1) - σ^2(z1))", lambda e: jx(e.W2.T, e.δ2) * (sig(e.z1) - sig(e.z1) ** 2))
case("nt-two-delta1-no-prime", "two", "z1", "W2^T δ2", lambda e: jx(e.W2.T, e.δ2))
case("nt-two-delta1-no-t", "two", "z1", "W2 δ2 ⊙ σ'(z1)", lambda e: jx(e.W2, e.δ2) * dsig(e.z1))
case("nt-two-delta1-wrong-z", "two", "z1", "W2.T δ2 ⊙ σ'(z2)", lambda e: jx(e.W2.T, e.δ2) * dsig(e.z2))
case("nt-two-delta1-half-prime", "two", "z1", "W2.T δ2 ⊙ a1", lambda e: jx(e.W2.T, e.δ2) * e.a1)
case("nt-two-dw1", "two", "W1", "(W2.T δ2 ⊙ σ'(z1)) x.T", lambda e: jx(jx(e.W2.T, e.δ2) * dsig(e.z1), e.x.T))
case("nt-two-dw1-no-paren", "two", "W1", "W2.T δ2 ⊙ σ'(z1) x.T", lambda e: jx(jx(e.W2.T, e.δ2) * dsig(e.z1), e.x.T))
case("nt-two-dw1-uses-a1", "two", "W1", "(W2.T δ2 ⊙ σ'(z1)) a1.T", lambda e: jx(jx(e.W2.T, e.δ2) * dsig(e.z1), e.a1.T))
case("nt-two-db1", "two", "b1", "W2ᵀδ2 ⊙ σ'(z1)", lambda e: jx(e.W2.T, e.δ2) * dsig(e.z1))
case("nt-two-da1", "two", "a1", "W2.T δ2", lambda e: jx(e.W2.T, e.δ2))
case("nt-two-db2-sign", "two", "b2", "(y - a2) ⊙ σ'(z2)", lambda e: (e.y - e.a2) * dsig(e.z2))
case("nt-two-delta2", "two", "z2", "(a2 - y)*σ(z2)*(1 - σ(z2))", lambda e: (e.a2 - e.y) * sig(e.z2) * (1 - sig(e.z2)))
# layer indices written as superscripts, as in Nielsen (a¹, δ², W²): the names a1, δ2, W2
case("nt-two-dw2-superscript", "two", "W2", "δ² (a¹)ᵀ", lambda e: jx(e.δ2, e.a1.T))
case("nt-two-dw2-latex-paren-sup", "two", "W2", r"\delta^{(2)} \left(a^{(1)}\right)^\top", lambda e: jx(e.δ2, e.a1.T))
case("nt-two-dw2-ascii-delta", "two", "W2", "delta2 a1.T", lambda e: jx(e.δ2, e.a1.T))
case("nt-two-delta1-superscript", "two", "z1", "((W²)ᵀ δ²) ⊙ a¹ ⊙ (1 − a¹)", lambda e: jx(e.W2.T, e.δ2) * e.a1 * (1 - e.a1))
case("nt-two-delta1-superscript-no-prime", "two", "z1", "(W²)ᵀ δ²", lambda e: jx(e.W2.T, e.δ2))
case("nt-two-dw2-latex-top-in-sup", "two", "W2", r"\delta^{(2)} a^{(1)\top}", lambda e: jx(e.δ2, e.a1.T))
case("nt-two-dw2-ng-brackets", "two", "W2", r"\delta^{[2]} a^{[1]T}", lambda e: jx(e.δ2, e.a1.T))
case("nt-two-dw2-superscript-t", "two", "W2", "δ² a¹ᵀ", lambda e: jx(e.δ2, e.a1.T))
case("nt-two-dw2-subscripts", "two", "W2", "δ₂ a₁ᵀ", lambda e: jx(e.δ2, e.a1.T))
case("nt-two-dw2-underscores", "two", "W2", "δ_2 a_1.T", lambda e: jx(e.δ2, e.a1.T))
case("nt-two-dw2-subscripts-no-t", "two", "W2", "δ₂ a₁", lambda e: jx(e.δ2, e.a1))
case("nt-two-dw2-numpy-outer", "two", "W2", "δ2 * a1.T", lambda e: e.δ2 * e.a1.T)
case("nt-two-dw2-numpy-outer-swapped", "two", "W2", "a1 * δ2.T", lambda e: e.a1 * e.δ2.T)
case("nt-two-dw2-superscript-uses-x", "two", "W2", "δ² xᵀ", lambda e: jx(e.δ2, e.x.T))
case("nt-two-delta2-double", "two", "z2", "2(a2 - y) ⊙ σ'(z2)", lambda e: jx(2, e.a2 - e.y) * dsig(e.z2))

# -- PyTorch row layout: X is NxD, W is DxH, b is 1xH ------------------------------------------
ROW_SHAPES = ["X=4x3", "W=3x2", "b=1x2", "Y=4x2"]
problem(
    "linrow", "X W b Y", ROW_SHAPES, [], [],
    ("sum((X@W + b - Y)^2)/2", lambda e: ssum((e.X @ e.W + e.b - e.Y) ** 2) / 2),
)


def _r(e: Env) -> V:
    """X W + b - Y, however it was written."""
    return jx(e.X, e.W) + e.b - e.Y


case("nt-linrow-dw", "linrow", "W", "X.T (X W + b - Y)", lambda e: jx(e.X.T, _r(e)))
case("nt-linrow-dw-caret", "linrow", "W", "X^T (X@W + b - Y)", lambda e: jx(e.X.T, e.X @ e.W + e.b - e.Y))
case("nt-linrow-dw-latex", "linrow", "W", r"X^{T} \left(X W + b - Y\right)", lambda e: jx(e.X.T, _r(e)))
case("nt-linrow-dw-sup", "linrow", "W", "Xᵀ(X W + b - Y)", lambda e: jx(e.X.T, _r(e)))
case("nt-linrow-dw-wrong-side", "linrow", "W", "(X W + b - Y) X.T", lambda e: jx(_r(e), e.X.T))
case("nt-linrow-dw-transposed", "linrow", "W", "(X W + b - Y).T X", lambda e: jx(_r(e).T, e.X))
case("nt-linrow-dw-sign", "linrow", "W", "X.T (Y - X W - b)", lambda e: jx(e.X.T, e.Y - jx(e.X, e.W) - e.b))
case("nt-linrow-dw-double", "linrow", "W", "2 X.T (X W + b - Y)", lambda e: jx(jx(2, e.X.T), _r(e)))
case("nt-linrow-db", "linrow", "b", "sum(X@W + b - Y, axis=0)", lambda e: ssum(e.X @ e.W + e.b - e.Y, 0))
case("nt-linrow-db-positional", "linrow", "b", "sum(X W + b - Y, 0)", lambda e: ssum(_r(e), 0))
case("nt-linrow-db-no-sum", "linrow", "b", "X@W + b - Y", lambda e: e.X @ e.W + e.b - e.Y)
case("nt-linrow-db-axis1", "linrow", "b", "sum(X@W + b - Y, axis=1)", lambda e: ssum(e.X @ e.W + e.b - e.Y, 1))
case("nt-linrow-db-total", "linrow", "b", "sum(X@W + b - Y)", lambda e: ssum(e.X @ e.W + e.b - e.Y))
case("nt-linrow-dx", "linrow", "X", "(X@W + b - Y) W.T", lambda e: jx(e.X @ e.W + e.b - e.Y, e.W.T))
case("nt-linrow-dx-sup", "linrow", "X", "(X W + b - Y) Wᵀ", lambda e: jx(_r(e), e.W.T))
case("nt-linrow-dx-no-t", "linrow", "X", "(X W + b - Y) W", lambda e: jx(_r(e), e.W))
case("nt-linrow-dx-transposed", "linrow", "X", "W (X W + b - Y).T", lambda e: jx(e.W, _r(e).T))

# -- row layout, mean over all entries ----------------------------------------------------------
problem(
    "linrowmean", "X W b Y", ROW_SHAPES, [], [],
    ("mean((X@W + b - Y)^2)", lambda e: mean((e.X @ e.W + e.b - e.Y) ** 2)),
)
case("nt-linrowmean-dw", "linrowmean", "W", "X.T (X W + b - Y)/4", lambda e: jx(e.X.T, _r(e)) / 4)
case("nt-linrowmean-dw-2n", "linrowmean", "W", "2 X.T (X@W + b - Y)/8", lambda e: jx(jx(2, e.X.T), e.X @ e.W + e.b - e.Y) / 8)
case("nt-linrowmean-dw-latex", "linrowmean", "W", r"\frac{1}{4} X^{T} (X W + b - Y)", lambda e: jx(jx(V(1) / 4, e.X.T), _r(e)))
case("nt-linrowmean-dw-no-mean", "linrowmean", "W", "X.T (X W + b - Y)", lambda e: jx(e.X.T, _r(e)))
case("nt-linrowmean-dw-half", "linrowmean", "W", "X.T (X W + b - Y)/8", lambda e: jx(e.X.T, _r(e)) / 8)
case("nt-linrowmean-db", "linrowmean", "b", "mean(X@W + b - Y, axis=0)", lambda e: mean(e.X @ e.W + e.b - e.Y, 0))
case("nt-linrowmean-db-sum", "linrowmean", "b", "sum(X@W + b - Y, axis=0)", lambda e: ssum(e.X @ e.W + e.b - e.Y, 0))
case("nt-linrowmean-db-axis1", "linrowmean", "b", "mean(X@W + b - Y, axis=1)", lambda e: mean(e.X @ e.W + e.b - e.Y, 1))

# -- row layout, relu hidden layer --------------------------------------------------------------
problem(
    "relurow", "X W1 b1 W2 b2 Y",
    ["X=4x3", "W1=3x2", "b1=1x2", "W2=2x1", "Y=4x1"], [],
    [
        ("Z1", "X@W1 + b1", lambda e: e.X @ e.W1 + e.b1),
        ("H", "relu(Z1)", lambda e: relu(e.Z1)),
        ("O", "H@W2 + b2", lambda e: e.H @ e.W2 + e.b2),
    ],
    ("sum((O - Y)^2)/2", lambda e: ssum((e.O - e.Y) ** 2) / 2),
    acts=[("relu", "Z1", lambda e: e.Z1)],
)
case("nt-relurow-dw2", "relurow", "W2", "H.T (O - Y)", lambda e: jx(e.H.T, e.O - e.Y))
case("nt-relurow-dw2-transposed", "relurow", "W2", "(O - Y).T H", lambda e: jx((e.O - e.Y).T, e.H))
case("nt-relurow-dz1", "relurow", "Z1", "(O - Y) W2.T ⊙ relu'(Z1)", lambda e: jx(e.O - e.Y, e.W2.T) * drelu(e.Z1))
case("nt-relurow-dz1-mask", "relurow", "Z1", "(O - Y) W2ᵀ * (Z1 > 0)", lambda e: jx(e.O - e.Y, e.W2.T) * gt(e.Z1, 0))
case("nt-relurow-dz1-no-mask", "relurow", "Z1", "(O - Y) W2.T", lambda e: jx(e.O - e.Y, e.W2.T))
case("nt-relurow-dz1-no-t", "relurow", "Z1", "(O - Y) W2 ⊙ relu'(Z1)", lambda e: jx(e.O - e.Y, e.W2) * drelu(e.Z1))
case("nt-relurow-dz1-ge", "relurow", "Z1", "(O - Y) W2.T * (Z1 >= 0)", lambda e: jx(e.O - e.Y, e.W2.T) * gt(e.Z1, 0))
case("nt-relurow-dz1-value", "relurow", "Z1", "(O - Y) W2.T ⊙ relu(Z1)", lambda e: jx(e.O - e.Y, e.W2.T) * relu(e.Z1))
case("nt-relurow-dw1", "relurow", "W1", "X.T ((O - Y) W2.T ⊙ relu'(Z1))", lambda e: jx(e.X.T, jx(e.O - e.Y, e.W2.T) * drelu(e.Z1)))
case("nt-relurow-dw1-step", "relurow", "W1", "X^T ((O - Y) W2^T * step(Z1))", lambda e: jx(e.X.T, jx(e.O - e.Y, e.W2.T) * step(e.Z1)))
case("nt-relurow-dw1-no-mask", "relurow", "W1", "X.T ((O - Y) W2.T)", lambda e: jx(e.X.T, jx(e.O - e.Y, e.W2.T)))
case("nt-relurow-db1", "relurow", "b1", "sum((O - Y) W2.T ⊙ (Z1 > 0), axis=0)", lambda e: ssum(jx(e.O - e.Y, e.W2.T) * gt(e.Z1, 0), 0))
case("nt-relurow-db2", "relurow", "b2", "Σ(O - Y)", lambda e: ssum(e.O - e.Y))
case("nt-relurow-db2-mean", "relurow", "b2", "mean(O - Y)", lambda e: mean(e.O - e.Y))

# -- row layout, sigmoid hidden layer -----------------------------------------------------------
problem(
    "sigrow", "X W1 b1 W2 b2 Y",
    ["X=4x2", "W1=2x3", "b1=1x3", "W2=3x1", "Y=4x1"], [],
    [
        ("Z1", "X@W1 + b1", lambda e: e.X @ e.W1 + e.b1),
        ("H", "sigmoid(Z1)", lambda e: sig(e.Z1)),
        ("O", "H@W2 + b2", lambda e: e.H @ e.W2 + e.b2),
    ],
    ("sum((O - Y)^2)/2", lambda e: ssum((e.O - e.Y) ** 2) / 2),
    acts=[("sigmoid", "Z1", lambda e: e.Z1)],
)
case("nt-sigrow-dz1", "sigrow", "Z1", "(O - Y) W2.T ⊙ σ'(Z1)", lambda e: jx(e.O - e.Y, e.W2.T) * dsig(e.Z1))
case("nt-sigrow-dz1-h", "sigrow", "Z1", "(O - Y) W2ᵀ ⊙ H ⊙ (1 - H)", lambda e: jx(e.O - e.Y, e.W2.T) * e.H * (1 - e.H))
case("nt-sigrow-dz1-no-prime", "sigrow", "Z1", "(O - Y) W2.T", lambda e: jx(e.O - e.Y, e.W2.T))
case("nt-sigrow-dw2-broadcast", "sigrow", "W2", "H (O - Y)", lambda e: jx(e.H, e.O - e.Y))
case("nt-sigrow-dw2", "sigrow", "W2", "H^T (O - Y)", lambda e: jx(e.H.T, e.O - e.Y))
case("nt-sigrow-dw1", "sigrow", "W1", "X.T ((O - Y) W2.T ⊙ σ'(Z1))", lambda e: jx(e.X.T, jx(e.O - e.Y, e.W2.T) * dsig(e.Z1)))
case("nt-sigrow-dw1-latex", "sigrow", "W1", r"X^{T} \left( (O - Y) W_2^{T} \odot \sigma'(Z_1) \right)", lambda e: jx(e.X.T, jx(e.O - e.Y, e.W2.T) * dsig(e.Z1)))

# -- row layout softmax cross-entropy, written with a sum over rows -----------------------------
problem(
    "cerow", "X W b Y", ["X=4x2", "W=2x3", "b=1x3", "Y=4x3"], [],
    [
        ("Z", "X@W + b", lambda e: e.X @ e.W + e.b),
        ("P", "exp(Z)/sum(exp(Z), axis=1)", lambda e: exp(e.Z) / ssum(exp(e.Z), 1)),
    ],
    ("sum(log(sum(exp(Z), axis=1))) - sum(Y*Z)", lambda e: ssum(log(ssum(exp(e.Z), 1))) - ssum(e.Y * e.Z)),
    acts=[
        ("exp", "Z", lambda e: e.Z),
        ("log", "sum(exp(Z), axis=1)", lambda e: ssum(exp(e.Z), 1)),
    ],
)
case("nt-cerow-dw", "cerow", "W", "X.T (P - Y)", lambda e: jx(e.X.T, e.P - e.Y))
case("nt-cerow-dw-explicit", "cerow", "W", "X^T (exp(Z)/sum(exp(Z), axis=1) - Y)", lambda e: jx(e.X.T, exp(e.Z) / ssum(exp(e.Z), 1) - e.Y))
case("nt-cerow-dw-wrong-axis", "cerow", "W", "X.T (exp(Z)/sum(exp(Z), axis=0) - Y)", lambda e: jx(e.X.T, exp(e.Z) / ssum(exp(e.Z), 0) - e.Y))
case("nt-cerow-dw-transposed", "cerow", "W", "(P - Y).T X", lambda e: jx((e.P - e.Y).T, e.X))
case("nt-cerow-db", "cerow", "b", "sum(P - Y, axis=0)", lambda e: ssum(e.P - e.Y, 0))
case("nt-cerow-db-mean", "cerow", "b", "mean(P - Y, axis=0)", lambda e: mean(e.P - e.Y, 0))
case("nt-cerow-dz", "cerow", "Z", "P - Y", lambda e: e.P - e.Y)
case("nt-cerow-dz-sign", "cerow", "Z", "Y - P", lambda e: e.Y - e.P)

# -- column softmax cross-entropy via log_softmax -----------------------------------------------
problem(
    "cecol", "y W x b", ["W=3x2", "x=2x1", "b=3x1", "y=3x1"], ["y=onehot"], [],
    ("-sum(y*log_softmax(W@x + b))", lambda e: -ssum(e.y * log_softmax(e.W @ e.x + e.b))),
    extras=[
        ("softmax(W@x + b)", lambda e: softmax(e.W @ e.x + e.b)),
        ("log_softmax(W@x + b)", lambda e: log_softmax(e.W @ e.x + e.b)),
    ],
)
case("nt-cecol-dw", "cecol", "W", "(softmax(W x + b) - y) x.T", lambda e: jx(softmax(jx(e.W, e.x) + e.b) - e.y, e.x.T))
case("nt-cecol-dw-outer", "cecol", "W", "outer(softmax(W@x + b) - y, x)", lambda e: outer(softmax(e.W @ e.x + e.b) - e.y, e.x))
case("nt-cecol-dw-logsm", "cecol", "W", "(exp(log_softmax(W@x + b)) - y) x^T", lambda e: jx(exp(log_softmax(e.W @ e.x + e.b)) - e.y, e.x.T))
case("nt-cecol-dw-no-t", "cecol", "W", "(softmax(W x + b) - y) x", lambda e: jx(softmax(jx(e.W, e.x) + e.b) - e.y, e.x))
case("nt-cecol-db", "cecol", "b", "softmax(W x + b) - y", lambda e: softmax(jx(e.W, e.x) + e.b) - e.y)
case("nt-cecol-db-sign", "cecol", "b", "y - softmax(W x + b)", lambda e: e.y - softmax(jx(e.W, e.x) + e.b))

# -- logsumexp(z) - dot(y, z) -------------------------------------------------------------------
problem(
    "lse", "z y", ["z=3x1", "y=3x1"], ["y=onehot"], [],
    ("logsumexp(z) - dot(y, z)", lambda e: logsumexp(e.z) - dot(e.y, e.z)),
    extras=[
        ("logsumexp(z)", lambda e: logsumexp(e.z)),
        ("dot(y, z)", lambda e: dot(e.y, e.z)),
        ("softmax(z)", lambda e: softmax(e.z)),
    ],
)
case("nt-lse-dz", "lse", "z", "softmax(z) - y", lambda e: softmax(e.z) - e.y)
case("nt-lse-dz-explicit", "lse", "z", "exp(z)/Σ(exp(z)) - y", lambda e: exp(e.z) / ssum(exp(e.z)) - e.y)
case("nt-lse-dz-shifted", "lse", "z", "exp(z - logsumexp(z)) - y", lambda e: exp(e.z - logsumexp(e.z)) - e.y)
case("nt-lse-dz-sign", "lse", "z", "y - softmax(z)", lambda e: e.y - softmax(e.z))
case("nt-lse-dz-no-y", "lse", "z", "softmax(z)", lambda e: softmax(e.z))

# -- a neuron written with dot(w, x) ------------------------------------------------------------
problem(
    "dot", "w x b y", ["w=3x1", "x=3x1"], [], [],
    ("(dot(w, x) + b - y)^2/2", lambda e: (dot(e.w, e.x) + e.b - e.y) ** 2 / 2),
    extras=[("dot(w, x)", lambda e: dot(e.w, e.x))],
)
case("nt-dot-dw", "dot", "w", "(dot(w, x) + b - y) x", lambda e: jx(dot(e.w, e.x) + e.b - e.y, e.x))
case("nt-dot-dw-cdot", "dot", "w", "(w·x + b - y) x", lambda e: jx(cdot(e.w, e.x) + e.b - e.y, e.x))
case("nt-dot-dw-wtx", "dot", "w", "(w^T x + b - y) x", lambda e: jx(jx(e.w.T, e.x) + e.b - e.y, e.x))
case("nt-dot-dw-xt", "dot", "w", "(w·x + b - y) x^T", lambda e: jx(cdot(e.w, e.x) + e.b - e.y, e.x.T))
case("nt-dot-dw-scalar", "dot", "w", "w·x + b - y", lambda e: cdot(e.w, e.x) + e.b - e.y)
case("nt-dot-dw-no-bias", "dot", "w", "(w·x - y) x", lambda e: jx(cdot(e.w, e.x) - e.y, e.x))
case("nt-dot-dx", "dot", "x", "(w·x + b - y) w", lambda e: jx(cdot(e.w, e.x) + e.b - e.y, e.w))

# -- L1 penalty (W=real is declared: with a 0/1 W, sign(W) = W and λ*W would look right) --
problem(
    "l1", "W x y λ", ["W=2x3", "x=3x1", "y=2x1"], ["λ=positive", "W=real"], [],
    ("sum((W@x - y)^2)/2 + λ*sum(abs(W))", lambda e: ssum((e.W @ e.x - e.y) ** 2) / 2 + e.λ * ssum(absv(e.W))),
    extras=[("abs(W)", lambda e: absv(e.W)), ("sign(W)", lambda e: sign(e.W))],
)
case("nt-l1-dw", "l1", "W", "(W x - y) x.T + λ*sign(W)", lambda e: jx(jx(e.W, e.x) - e.y, e.x.T) + e.λ * sign(e.W))
case("nt-l1-dw-juxt", "l1", "W", "(W x - y) x^T + λ sign(W)", lambda e: jx(jx(e.W, e.x) - e.y, e.x.T) + jx(e.λ, sign(e.W)))
case("nt-l1-dw-ratio", "l1", "W", "(W@x - y) x.T + λ*W/abs(W)", lambda e: jx(e.W @ e.x - e.y, e.x.T) + e.λ * e.W / absv(e.W))
case("nt-l1-dw-abs", "l1", "W", "(W x - y) x.T + λ*abs(W)", lambda e: jx(jx(e.W, e.x) - e.y, e.x.T) + e.λ * absv(e.W))
case("nt-l1-dw-no-penalty", "l1", "W", "(W x - y) x.T", lambda e: jx(jx(e.W, e.x) - e.y, e.x.T))
case("nt-l1-dw-l2", "l1", "W", "(W x - y) x.T + λ*W", lambda e: jx(jx(e.W, e.x) - e.y, e.x.T) + e.λ * e.W)

# -- log-cosh loss -----------------------------------------------------------------------------
problem(
    "logcosh", "w x b y", [], [],
    [("a", "w*x + b", lambda e: e.w * e.x + e.b)],
    ("log(cosh(a - y))", lambda e: log(cosh(e.a - e.y))),
    acts=[("log", "cosh(a - y)", lambda e: cosh(e.a - e.y))],
    extras=[("cosh(a - y)", lambda e: cosh(e.a - e.y)), ("sinh(a - y)", lambda e: sinh(e.a - e.y))],
)
case("nt-logcosh-da", "logcosh", "a", "tanh(a - y)", lambda e: tanh(e.a - e.y))
case("nt-logcosh-da-ratio", "logcosh", "a", "sinh(a - y)/cosh(a - y)", lambda e: sinh(e.a - e.y) / cosh(e.a - e.y))
case("nt-logcosh-dw", "logcosh", "w", "tanh(a - y) x", lambda e: jx(tanh(e.a - e.y), e.x))
case("nt-logcosh-dw-no-x", "logcosh", "w", "tanh(a - y)", lambda e: tanh(e.a - e.y))
case("nt-logcosh-dw-sign", "logcosh", "w", "tanh(y - a) x", lambda e: jx(tanh(e.y - e.a), e.x))
case("nt-logcosh-dw-mse", "logcosh", "w", "(a - y) x", lambda e: jx(e.a - e.y, e.x))

# -- exact GELU --------------------------------------------------------------------------------
problem(
    "gelu", "x", [], [], [],
    ("x*(1 + erf(x/sqrt(2)))/2", lambda e: e.x * (1 + erf(e.x / sqrt(2))) / 2),
    extras=[
        ("erf(x/sqrt(2))", lambda e: erf(e.x / sqrt(2))),
        ("sqrt(2)", lambda e: sqrt(2)),
        ("exp(-x^2/2)", lambda e: exp(-(e.x**2) / 2)),
    ],
)
case("nt-gelu-dx", "gelu", "x", "(1 + erf(x/sqrt(2)))/2 + x*exp(-x^2/2)/sqrt(2*pi)", lambda e: (1 + erf(e.x / sqrt(2))) / 2 + e.x * exp(-(e.x**2) / 2) / sqrt(2 * PI))
case("nt-gelu-dx-unicode", "gelu", "x", "(1 + erf(x/sqrt(2)))/2 + x exp(-x²/2)/sqrt(2π)", lambda e: (1 + erf(e.x / sqrt(2))) / 2 + jx(e.x, exp(-(e.x**2) / 2)) / sqrt(jx(2, PI)))
case("nt-gelu-dx-cdf-only", "gelu", "x", "(1 + erf(x/sqrt(2)))/2", lambda e: (1 + erf(e.x / sqrt(2))) / 2)
case("nt-gelu-dx-no-half", "gelu", "x", "1 + erf(x/sqrt(2)) + x*exp(-x^2/2)/sqrt(2*pi)", lambda e: 1 + erf(e.x / sqrt(2)) + e.x * exp(-(e.x**2) / 2) / sqrt(2 * PI))

# -- leaky relu as max(0.1*z, z) -----------------------------------------------------------------
problem(
    "leaky", "z y", [], [],
    [("a", "max(0.1*z, z)", lambda e: vmax(V(Fraction(1, 10)) * e.z, e.z))],
    ("(a - y)^2/2", lambda e: (e.a - e.y) ** 2 / 2),
    extras=[
        ("step(0.1*z - z)", lambda e: step(e.z / 10 - e.z)),
        ("step(z - 0.1*z)", lambda e: step(e.z - e.z / 10)),
    ],
)
case("nt-leaky-dz", "leaky", "z", "(a - y)*((z > 0) + 0.1*(z < 0))", lambda e: (e.a - e.y) * (gt(e.z, 0) + V(Fraction(1, 10)) * lt(e.z, 0)))
case("nt-leaky-dz-max", "leaky", "z", "(a - y) max(0.1, step(z))", lambda e: jx(e.a - e.y, vmax(V(Fraction(1, 10)), step(e.z))))
case("nt-leaky-dz-affine", "leaky", "z", "(a - y)*(0.1 + 0.9*(z > 0))", lambda e: (e.a - e.y) * (V(Fraction(1, 10)) + V(Fraction(9, 10)) * gt(e.z, 0)))
case("nt-leaky-dz-swapped-slopes", "leaky", "z", "(a - y)*(0.1*(z > 0) + (z < 0))", lambda e: (e.a - e.y) * (V(Fraction(1, 10)) * gt(e.z, 0) + lt(e.z, 0)))

# -- clipping min(max(z, -1), 1) -----------------------------------------------------------------
problem(
    "clip", "z y", [], [],
    [("c", "min(max(z, -1), 1)", lambda e: vmin(vmax(e.z, -1), 1))],
    ("(c - y)^2/2", lambda e: (e.c - e.y) ** 2 / 2),
    extras=[
        ("step(z + 1)", lambda e: step(e.z + 1)),
        ("step(-1 - z)", lambda e: step(-1 - e.z)),
        ("step(1 - max(z, -1))", lambda e: step(1 - vmax(e.z, -1))),
        ("step(max(z, -1) - 1)", lambda e: step(vmax(e.z, -1) - 1)),
        ("max(z, -1)", lambda e: vmax(e.z, -1)),
    ],
)
case("nt-clip-dz", "clip", "z", "(c - y)*(z > -1)*(z < 1)", lambda e: (e.c - e.y) * gt(e.z, -1) * lt(e.z, 1))
case("nt-clip-dz-abs", "clip", "z", "(c - y)*(abs(z) < 1)", lambda e: (e.c - e.y) * lt(absv(e.z), 1))
case("nt-clip-dz-ge-le", "clip", "z", "(c - y)*(z >= -1)*(z <= 1)", lambda e: (e.c - e.y) * gt(e.z, -1) * lt(e.z, 1))
case("nt-clip-dz-step-abs", "clip", "z", "(c - y) step(1 - abs(z))", lambda e: jx(e.c - e.y, step(1 - absv(e.z))))
case("nt-clip-dz-inverted", "clip", "z", "(c - y)*(abs(z) > 1)", lambda e: (e.c - e.y) * gt(absv(e.z), 1))

# -- norm and trace ------------------------------------------------------------------------------
problem(
    "normsq", "W", ["W=2x3"], [], [],
    ("norm(W)^2/2", lambda e: norm(e.W) ** 2 / 2),
    extras=[("norm(W)", lambda e: norm(e.W))],
)
case("nt-normsq-dw", "normsq", "W", "W", lambda e: e.W)
case("nt-normsq-dw-double", "normsq", "W", "2W", lambda e: jx(2, e.W))
case("nt-normsq-dw-t", "normsq", "W", "W.T", lambda e: e.W.T)

problem(
    "ridge", "W x y λ", ["W=2x3", "x=3x1", "y=2x1"], [], [],
    ("sum((W@x - y)^2)/2 + λ*norm(W)^2/2", lambda e: ssum((e.W @ e.x - e.y) ** 2) / 2 + e.λ * norm(e.W) ** 2 / 2),
    extras=[("norm(W)", lambda e: norm(e.W))],
)
case("nt-ridge-dw", "ridge", "W", "(W x - y) x.T + λ W", lambda e: jx(jx(e.W, e.x) - e.y, e.x.T) + jx(e.λ, e.W))
case("nt-ridge-dw-2lambda", "ridge", "W", "(W x - y) x.T + 2λ W", lambda e: jx(jx(e.W, e.x) - e.y, e.x.T) + jx(jx(2, e.λ), e.W))

problem(
    "tracewtw", "W", ["W=3x2"], [], [],
    ("trace(W.T @ W)", lambda e: trace(e.W.T @ e.W)),
)
case("nt-tracewtw-dw", "tracewtw", "W", "2W", lambda e: jx(2, e.W))
case("nt-tracewtw-dw-half", "tracewtw", "W", "W", lambda e: e.W)

problem(
    "traceaw", "A W", ["A=3x3", "W=3x3"], [], [],
    ("trace(A@W)", lambda e: trace(e.A @ e.W)),
)
case("nt-traceaw-dw", "traceaw", "W", "A.T", lambda e: e.A.T)
case("nt-traceaw-dw-caret", "traceaw", "W", "A^T", lambda e: e.A.T)
case("nt-traceaw-dw-no-t", "traceaw", "W", "A", lambda e: e.A)

# -- a sigmoid neuron, scalars -------------------------------------------------------------------
NEURON_LETS_SIG: list[tuple[str, str, Fn]] = [
    ("z", "w*x + b", lambda e: e.w * e.x + e.b),
    ("a", "sigmoid(z)", lambda e: sig(e.z)),
]
problem(
    "sig1", "w x b y", [], [], NEURON_LETS_SIG,
    ("(a - y)^2/2", lambda e: (e.a - e.y) ** 2 / 2),
    acts=[("sigmoid", "z", lambda e: e.z)],
)
case("nt-sig1-dw-prime", "sig1", "w", "(a - y) σ'(z) x", lambda e: jx(jx(e.a - e.y, dsig(e.z)), e.x))
case("nt-sig1-dw-ascii", "sig1", "w", "(a - y) sigma'(z) x", lambda e: jx(jx(e.a - e.y, dsig(e.z)), e.x))
case("nt-sig1-dw-sigma-sq", "sig1", "w", "(a - y)(σ(z) - σ^2(z)) x", lambda e: jx(jx(e.a - e.y, sig(e.z) - sig(e.z) ** 2), e.x))
case("nt-sig1-dw-latex", "sig1", "w", r"(a - y) \sigma'(z) x", lambda e: jx(jx(e.a - e.y, dsig(e.z)), e.x))
case("nt-sig1-dw-double", "sig1", "w", "2(a - y) σ'(z) x", lambda e: jx(jx(jx(2, e.a - e.y), dsig(e.z)), e.x))
case("nt-sig1-dw-sign", "sig1", "w", "(y - a) σ'(z) x", lambda e: jx(jx(e.y - e.a, dsig(e.z)), e.x))
case("nt-sig1-dw-no-x", "sig1", "w", "(a - y) σ'(z)", lambda e: jx(e.a - e.y, dsig(e.z)))

# -- a tanh neuron, scalars ----------------------------------------------------------------------
problem(
    "tanh1", "w x b y", [], [],
    [("z", "w*x + b", lambda e: e.w * e.x + e.b), ("a", "tanh(z)", lambda e: tanh(e.z))],
    ("(a - y)^2/2", lambda e: (e.a - e.y) ** 2 / 2),
    acts=[("tanh", "z", lambda e: e.z)],
)
case("nt-tanh1-dz", "tanh1", "z", "(a - y)(1 - tanh^2(z))", lambda e: jx(e.a - e.y, 1 - tanh(e.z) ** 2))
case("nt-tanh1-dz-sup", "tanh1", "z", "(a - y)(1 - a²)", lambda e: jx(e.a - e.y, 1 - e.a**2))
case("nt-tanh1-dz-prime", "tanh1", "z", "(a - y) tanh'(z)", lambda e: jx(e.a - e.y, dtanh(e.z)))
case("nt-tanh1-dz-cosh", "tanh1", "z", "(a - y)/cosh(z)^2", lambda e: (e.a - e.y) / cosh(e.z) ** 2)
case("nt-tanh1-dz-latex", "tanh1", "z", r"(a - y)\left(1 - \tanh^2(z)\right)", lambda e: jx(e.a - e.y, 1 - tanh(e.z) ** 2))
case("nt-tanh1-dz-plus", "tanh1", "z", "(a - y)(1 + tanh^2(z))", lambda e: jx(e.a - e.y, 1 + tanh(e.z) ** 2))
case("nt-tanh1-dz-no-prime", "tanh1", "z", "a - y", lambda e: e.a - e.y)
case("nt-tanh1-dz-value", "tanh1", "z", "(a - y) tanh(z)", lambda e: jx(e.a - e.y, tanh(e.z)))
case("nt-tanh1-dw", "tanh1", "w", "(a - y)(1 - a^2) x", lambda e: jx(jx(e.a - e.y, 1 - e.a**2), e.x))
case("nt-tanh1-dw-square-wrong", "tanh1", "w", "(a - y)(1 - a)^2 x", lambda e: jx(jx(e.a - e.y, (1 - e.a) ** 2), e.x))

# -- softplus ------------------------------------------------------------------------------------
problem(
    "softplus1", "z y", [], [], [],
    ("(softplus(z) - y)^2/2", lambda e: (softplus(e.z) - e.y) ** 2 / 2),
    acts=[("softplus", "z", lambda e: e.z)],
)
case("nt-softplus-dz", "softplus1", "z", "(softplus(z) - y) σ(z)", lambda e: jx(softplus(e.z) - e.y, sig(e.z)))
case("nt-softplus-dz-prime", "softplus1", "z", "(softplus(z) - y) softplus'(z)", lambda e: jx(softplus(e.z) - e.y, dsoftplus(e.z)))
case("nt-softplus-dz-missing", "softplus1", "z", "softplus(z) - y", lambda e: softplus(e.z) - e.y)
case("nt-softplus-dz-exp", "softplus1", "z", "(softplus(z) - y) exp(z)", lambda e: jx(softplus(e.z) - e.y, exp(e.z)))

# -- column batch with a broadcast bias, δ as a let ---------------------------------------------
problem(
    "colbatch", "W X b Y", ["W=2x3", "X=3x4", "b=2x1", "Y=2x4"], [],
    [
        ("Z", "W@X + b", lambda e: e.W @ e.X + e.b),
        ("A", "sigmoid(Z)", lambda e: sig(e.Z)),
        ("δ", "(A - Y)*A*(1 - A)", lambda e: (e.A - e.Y) * e.A * (1 - e.A)),
    ],
    ("sum((A - Y)^2)/2", lambda e: ssum((e.A - e.Y) ** 2) / 2),
    acts=[("sigmoid", "Z", lambda e: e.Z)],
)
case("nt-colbatch-dw", "colbatch", "W", "δ X.T", lambda e: jx(e.δ, e.X.T))
case("nt-colbatch-dw-ascii", "colbatch", "W", "delta X^T", lambda e: jx(e.δ, e.X.T))
case("nt-colbatch-dw-latex", "colbatch", "W", r"\delta X^{\top}", lambda e: jx(e.δ, e.X.T))
case("nt-colbatch-dw-no-prime", "colbatch", "W", "(A - Y) X.T", lambda e: jx(e.A - e.Y, e.X.T))
case("nt-colbatch-db", "colbatch", "b", "sum(δ, axis=1)", lambda e: ssum(e.δ, 1))
case("nt-colbatch-db-positional", "colbatch", "b", "sum(δ, 1)", lambda e: ssum(e.δ, 1))
case("nt-colbatch-db-axis0", "colbatch", "b", "sum(δ, axis=0)", lambda e: ssum(e.δ, 0))
case("nt-colbatch-db-mean", "colbatch", "b", "mean(δ, axis=1)", lambda e: mean(e.δ, 1))
case("nt-colbatch-dz", "colbatch", "Z", "(A - Y) ⊙ σ'(Z)", lambda e: (e.A - e.Y) * dsig(e.Z))
case("nt-colbatch-dz-no-prime", "colbatch", "Z", "A - Y", lambda e: e.A - e.Y)
case("nt-colbatch-dx", "colbatch", "X", "W.T δ", lambda e: jx(e.W.T, e.δ))

# -- a square two-layer net, delta2 spelt in ASCII ------------------------------------------------
problem(
    "twosq", "W1 x b1 W2 b2 y",
    ["W1=2x2", "b1=2x1", "W2=2x2", "b2=2x1", "x=2x1", "y=2x1"], [],
    [
        ("z1", "W1@x + b1", lambda e: e.W1 @ e.x + e.b1),
        ("a1", "sigmoid(z1)", lambda e: sig(e.z1)),
        ("z2", "W2@a1 + b2", lambda e: e.W2 @ e.a1 + e.b2),
        ("a2", "sigmoid(z2)", lambda e: sig(e.z2)),
        ("delta2", "(a2 - y)*a2*(1 - a2)", lambda e: (e.a2 - e.y) * e.a2 * (1 - e.a2)),
    ],
    ("sum((a2 - y)^2)/2", lambda e: ssum((e.a2 - e.y) ** 2) / 2),
    acts=[("sigmoid", "z1", lambda e: e.z1), ("sigmoid", "z2", lambda e: e.z2)],
    extras=[("sum((a2 - y)^2)", lambda e: ssum((e.a2 - e.y) ** 2))],
)
case("nt-twosq-dw2", "twosq", "W2", "delta2 a1^T", lambda e: jx(e.delta2, e.a1.T))
case("nt-twosq-dw2-transposed", "twosq", "W2", "a1 delta2^T", lambda e: jx(e.a1, e.delta2.T))
case("nt-twosq-dw2-update-sign", "twosq", "W2", "-delta2 a1^T", lambda e: jx(-e.delta2, e.a1.T))
case("nt-twosq-delta1", "twosq", "z1", "W2^T delta2 ⊙ sigma'(z1)", lambda e: jx(e.W2.T, e.delta2) * dsig(e.z1))
case("nt-twosq-delta1-no-t", "twosq", "z1", "W2 delta2 ⊙ sigma'(z1)", lambda e: jx(e.W2, e.delta2) * dsig(e.z1))
case("nt-twosq-dw1-no-t", "twosq", "W1", "(W2 delta2 ⊙ sigma'(z1)) x^T", lambda e: jx(jx(e.W2, e.delta2) * dsig(e.z1), e.x.T))

# -- binary cross-entropy on a sigmoid layer, column vectors ---------------------------------------
problem(
    "bce", "W x b y", ["W=3x2", "x=2x1", "b=3x1", "y=3x1"], ["y=onehot"],
    [("z", "W@x + b", lambda e: e.W @ e.x + e.b), ("a", "sigmoid(z)", lambda e: sig(e.z))],
    ("-sum(y*log(a) + (1 - y)*log(1 - a))", lambda e: -ssum(e.y * log(e.a) + (1 - e.y) * log(1 - e.a))),
    acts=[("sigmoid", "z", lambda e: e.z), ("log", "a", lambda e: e.a), ("log", "1 - a", lambda e: 1 - e.a)],
)
case("nt-bce-dz", "bce", "z", "a - y", lambda e: e.a - e.y)
case("nt-bce-dz-sigma", "bce", "z", "σ(z) - y", lambda e: sig(e.z) - e.y)
case("nt-bce-dz-extra-prime", "bce", "z", "(a - y) ⊙ σ'(z)", lambda e: (e.a - e.y) * dsig(e.z))
case("nt-bce-dw", "bce", "W", "(a - y) x^T", lambda e: jx(e.a - e.y, e.x.T))
case("nt-bce-dw-transposed", "bce", "W", "x (a - y)^T", lambda e: jx(e.x, (e.a - e.y).T))
case("nt-bce-da", "bce", "a", "(a - y)/(a ⊙ (1 - a))", lambda e: (e.a - e.y) / (e.a * (1 - e.a)))
case("nt-bce-da-split", "bce", "a", "-y/a + (1 - y)/(1 - a)", lambda e: -e.y / e.a + (1 - e.y) / (1 - e.a))
case("nt-bce-da-sign-slip", "bce", "a", "-y/a - (1 - y)/(1 - a)", lambda e: -e.y / e.a - (1 - e.y) / (1 - e.a))

# -- a scalar bias over a batch: w.T X + b ------------------------------------------------------
problem(
    "batchb", "w X b y", ["w=3x1", "X=3x4", "y=1x4"], [], [],
    ("sum((w.T@X + b - y)^2)/2", lambda e: ssum((e.w.T @ e.X + e.b - e.y) ** 2) / 2),
)


def _p(e: Env) -> V:
    """w.T X + b - y (juxtaposed)."""
    return jx(e.w.T, e.X) + e.b - e.y


case("nt-batchb-db", "batchb", "b", "Σ(w.T X + b - y)", lambda e: ssum(_p(e)))
case("nt-batchb-db-no-sum", "batchb", "b", "w.T X + b - y", lambda e: _p(e))
case("nt-batchb-dw", "batchb", "w", "X (w.T X + b - y).T", lambda e: jx(e.X, _p(e).T))
case("nt-batchb-dw-transposed", "batchb", "w", "(w.T X + b - y) X.T", lambda e: jx(_p(e), e.X.T))
case("nt-batchb-dw-broadcast", "batchb", "w", "X (w.T X + b - y)", lambda e: jx(e.X, _p(e)))
case("nt-batchb-dw-rowsum", "batchb", "w", "sum(X ⊙ (w^T X + b - y), axis=1)", lambda e: ssum(e.X * (jx(e.w.T, e.X) + e.b - e.y), 1))

# -- a square without the 1/2 ---------------------------------------------------------------------
problem(
    "sqnohalf", "W x y", ["W=2x3", "x=3x1", "y=2x1"], [], [],
    ("sum((W@x - y)^2)", lambda e: ssum((e.W @ e.x - e.y) ** 2)),
)
case("nt-sq-dw", "sqnohalf", "W", "2(W x - y) x.T", lambda e: jx(jx(2, jx(e.W, e.x) - e.y), e.x.T))
case("nt-sq-dw-no-two", "sqnohalf", "W", "(W x - y) x.T", lambda e: jx(jx(e.W, e.x) - e.y, e.x.T))
case("nt-sq-dw-update-sign", "sqnohalf", "W", "-2(W x - y) x.T", lambda e: -jx(jx(2, jx(e.W, e.x) - e.y), e.x.T))

# -- an elementwise power with a named exponent (a name T would make x^T ambiguous: refused) -----
problem(
    "powk", "x k", ["x=3x1"], ["x=positive", "k=positive"], [],
    ("sum(x^k)", lambda e: ssum(e.x**e.k)),
)
case("nt-powk-dx", "powk", "x", "k x^(k - 1)", lambda e: jx(e.k, e.x ** (e.k - 1)))
case("nt-powk-dx-missing-k", "powk", "x", "x^(k - 1)", lambda e: e.x ** (e.k - 1))

# fmt: on


# ----------------------------------------------------------------------------------------------
# numbers
# ----------------------------------------------------------------------------------------------


def parse_shape(spec: str) -> tuple[str, tuple[int, int]]:
    name, value = spec.split("=")
    r, c = value.split("x")
    return name, (int(r), int(c))


REAL_RANGE: list[float] = []  # --real-range R: real ~ U(-R, R) instead of N(0, 1)


def sample(kind: str, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """POINTS draws, (POINTS, rows, cols)."""
    r, c = shape
    if kind == "real" and REAL_RANGE:
        return rng.uniform(-REAL_RANGE[0], REAL_RANGE[0], (POINTS, r, c))
    if kind == "real":
        return rng.standard_normal((POINTS, r, c))
    if kind == "positive":
        return rng.uniform(0.1, 2.0, (POINTS, r, c))
    if kind == "unit":  # used by the slip search only
        return rng.uniform(0.02, 0.98, (POINTS, r, c))
    if kind == "onehot":  # one 1 per column
        out = np.zeros((POINTS, r, c))
        for p in range(POINTS):
            for j in range(c):
                out[p, rng.integers(0, r), j] = 1.0
        return out
    if kind == "simplex":
        return np.transpose(rng.dirichlet(np.ones(r), (POINTS, c)), (0, 2, 1))
    if kind.endswith("_rows"):  # the same, along every row
        return np.swapaxes(sample(kind[: -len("_rows")], (c, r), rng), 1, 2)
    raise ValueError(kind)


def numeric(v: V, syms: list[sp.Symbol], vals: list[np.ndarray]) -> np.ndarray:
    entries = list(v.m)
    f = sp.lambdify(syms, entries, modules=["numpy", "scipy"])
    with np.errstate(all="ignore"):
        out = f(*vals)
    cols = [np.broadcast_to(np.asarray(o, dtype=float), (POINTS,)) for o in out]
    return np.stack(cols, axis=1).reshape(POINTS, *v.shape)


def close(a: np.ndarray, b: np.ndarray) -> bool:
    scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0))
    return bool(np.all(np.abs(a - b) <= np.maximum(RTOL * np.abs(b), ATOL * scale)))


@dataclass
class World:
    """One problem with one wrt: symbols, samples, the truth and the factor candidates."""

    env: Env
    syms: list[sp.Symbol]
    vals: list[np.ndarray]
    truth: np.ndarray
    factors: list[tuple[str, np.ndarray]]  # the rule-6 candidates
    extras: list[tuple[str, np.ndarray]]  # everything else a grader might try
    fd_error: float


def build_world(
    p: Problem, wrt: str, rng: np.random.Generator, override: dict[str, str] | None = None
) -> World:
    shapes = dict(parse_shape(s) for s in p.shapes)
    domains = dict(s.split("=") for s in p.domains) | (override or {})
    env = Env()
    syms: list[sp.Symbol] = []
    vals: list[np.ndarray] = []
    k = 0
    for name in p.prims:
        r, c = shapes.get(name, (1, 1))
        kind = domains.get(name, "real")
        assumptions = {"positive": True} if kind == "positive" else {"real": True}
        draws = sample(kind, (r, c), rng)
        mat = sp.zeros(r, c)
        for i in range(r):
            for j in range(c):
                s = sp.Symbol(f"p{k}_{i}_{j}", **assumptions)
                mat[i, j] = s
                syms.append(s)
                vals.append(draws[:, i, j])
        k += 1
        env[name] = V(mat)
    wrt_syms: list[sp.Symbol]
    if wrt in env:
        wrt_syms = list(env[wrt].m)
    else:
        wrt_syms = []
    for name, _, fn in p.lets:
        value = fn(env)
        if name == wrt:  # a fresh node: upstream held fixed
            definition = numeric(value, syms, vals)
            r, c = value.shape
            mat = sp.zeros(r, c)
            for i in range(r):
                for j in range(c):
                    s = sp.Symbol(f"n_{i}_{j}", real=True)
                    mat[i, j] = s
                    syms.append(s)
                    vals.append(definition[:, i, j])
                    wrt_syms.append(s)
            value = V(mat)
        env[name] = value
    if not wrt_syms:
        raise SystemExit(f"{p.key}: wrt {wrt} is not a name")
    loss = p.loss[1](env)
    assert loss.scalar, f"{p.key}: the loss is not a scalar"
    lossx = loss.m[0, 0]
    wv = env[wrt]
    truth_v = V(sp.Matrix(*wv.shape, lambda i, j: sp.diff(lossx, wv.m[i, j])))
    truth = numeric(truth_v, syms, vals)
    fd_error = finite_difference_gap(lossx, syms, vals, wrt_syms, truth)

    factors: list[tuple[str, np.ndarray]] = []
    for kind, label, ufn in p.acts:
        u = ufn(env)
        value = {
            "sigmoid": sig,
            "tanh": tanh,
            "relu": relu,
            "softplus": softplus,
            "exp": exp,
            "log": log,
        }[kind](u)
        deriv = {
            "sigmoid": dsig,
            "tanh": dtanh,
            "relu": drelu,
            "softplus": dsoftplus,
            "exp": exp,
            "log": lambda v: 1 / lift(v),
        }[kind](u)
        factors.append((f"{kind}({label})", numeric(value, syms, vals)))
        factors.append((f"{kind}'({label})", numeric(deriv, syms, vals)))
        if kind == "sigmoid":
            factors.append((f"1 - sigmoid({label})", numeric(1 - value, syms, vals)))
    for name, value in env.items():
        factors.append((name, numeric(value, syms, vals)))
        if not value.scalar:
            factors.append((name + ".T", numeric(value.T, syms, vals)))
    extras = [(label, numeric(fn(env), syms, vals)) for label, fn in p.extras]
    return World(env, syms, vals, truth, factors, extras, fd_error)


def finite_difference_gap(
    loss: sp.Expr,
    syms: list[sp.Symbol],
    vals: list[np.ndarray],
    wrt_syms: list[sp.Symbol],
    truth: np.ndarray,
) -> float:
    """Largest relative gap between the SymPy truth and central differences of the loss (the
    best of a few step sizes, so a point near a singularity such as log(1 - a) does not need
    one step that suits every point)."""
    f = sp.lambdify(syms, loss, modules=["numpy", "scipy"])
    flat = truth.reshape(POINTS, -1)
    worst = 0.0
    for p in range(3):
        point = [float(v[p]) for v in vals]
        for n, s in enumerate(wrt_syms):
            idx = syms.index(s)
            t = flat[p, n]
            gaps = []
            for step_size in (1e-5, 1e-6, 1e-7, 1e-8):
                h = step_size * max(1.0, abs(point[idx]))
                up, down = list(point), list(point)
                up[idx] += h
                down[idx] -= h
                with np.errstate(all="ignore"):
                    fd = (float(f(*up)) - float(f(*down))) / (2 * h)
                if np.isfinite(fd):
                    gaps.append(abs(fd - t) / max(1.0, abs(t)))
            worst = max(worst, min(gaps, default=np.inf))
    return worst


def constant_ratio(claim: np.ndarray, truth: np.ndarray) -> float | None:
    scale = np.abs(truth).max(initial=0.0)
    mask = np.abs(truth) > 1e-6 * scale
    if scale == 0.0 or not mask.any():
        return None
    k = float(np.median(claim[mask] / truth[mask]))
    if not np.isfinite(k) or k == 0.0:
        return None
    for cand in (float(Fraction(k).limit_denominator(64)), k):
        if abs(cand - 1.0) > 1e-9 and close(claim, cand * truth):
            return cand
    return None


def factor_relations(
    claim: np.ndarray, truth: np.ndarray, factors: list[tuple[str, np.ndarray]]
) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for label, f in factors:
        if f.shape[1:] not in ((1, 1), truth.shape[1:]):
            continue
        if np.allclose(f, 1.0) or np.allclose(f, 0.0):
            continue
        if close(claim * f, truth):
            found.add(("missing_factor", label))
        if close(claim, truth * f):
            found.add(("extra_factor", label))
    return found


def diagnose(claim: np.ndarray, truth: np.ndarray, w: World) -> tuple[str | None, str]:
    """The diagnosis by the brief's rules, and a note."""
    swapped = np.swapaxes(claim, 1, 2)
    if claim.shape != truth.shape:
        if swapped.shape == truth.shape and close(swapped, truth):
            return "transposed", f"claim {claim.shape[1:]}, truth {truth.shape[1:]}"
        return "shape_mismatch", f"claim {claim.shape[1:]}, truth {truth.shape[1:]}"
    if close(claim, truth):
        return None, ""
    if close(claim, -truth):
        return "sign_flip", ""
    if claim.shape[1] == claim.shape[2] > 1 and close(swapped, truth):
        return "transposed", "square"
    k = constant_ratio(claim, truth)
    if k is not None and abs(k + 1.0) > 1e-9:
        return "constant_factor", f"k = {Fraction(k).limit_denominator(64)}"
    rel = factor_relations(claim, truth, w.factors)
    others = factor_relations(claim, truth, w.extras)
    codes = {c for c, _ in rel}
    if len(codes) > 1:
        return "ambiguous", f"factor relations {sorted(rel)}"
    if codes:
        clash = {c for c, _ in others} - codes
        if clash:
            return "ambiguous", f"{sorted(rel)} but also {sorted(others)}"
        return codes.pop(), ", ".join(label for _, label in sorted(rel))
    if others:
        return "ambiguous", f"wrong by the rules, but {sorted(others)}"
    return "wrong", ""


class _Counting(Env):
    """An env that counts name occurrences as the claim reads them, and can put another name's
    value in place of one occurrence (the k-th)."""

    def __init__(self, base: Env, k: int = -1, other: str = "", flip: bool = False) -> None:
        super().__init__(base)
        self.k, self.other, self.seen = k, other, []  # type: ignore[var-annotated]
        self.flip = flip  # put the k-th occurrence's own transpose in its place

    def __getattr__(self, name: str) -> V:
        self.seen.append(name)
        if len(self.seen) - 1 == self.k:
            return self[name].T if self.flip else self[self.other]
        return self[name]


def inner_transpose(c: Case, w: World) -> str | None:
    """The brief's rule for a transpose inside the claim: one occurrence of a square matrix
    (2x2 or larger) whose transpose makes the claim right (W δ for Wᵀ δ): `transposed`."""
    probe = _Counting(w.env)
    c.fn(probe)
    for k, name in enumerate(probe.seen):
        rows, cols = w.env[name].shape
        if rows != cols or rows < 2:
            continue
        try:
            flipped = numeric(c.fn(_Counting(w.env, k, flip=True)), w.syms, w.vals)
        except (ShapeErr, Ambiguous):
            continue
        if flipped.shape == w.truth.shape and close(flipped, w.truth):
            return f"occurrence {k + 1} of {name} transposed makes it right"
    return None


def slips(c: Case, p: Problem, w: World, seed: int) -> list[str]:
    """Why a claim judged wrong by the brief's rules might be named otherwise by a grader that
    also searches for classic slips: one name occurrence that, replaced by another name of the
    same shape, makes the claim right; or an undeclared stricter domain of one primary under
    which it is right. A `wrong` case should have neither."""
    notes = []
    probe = _Counting(w.env)
    c.fn(probe)
    for k, name in enumerate(probe.seen):
        for other, value in w.env.items():
            if other == name or value.shape != w.env[name].shape:
                continue
            try:
                swapped = numeric(c.fn(_Counting(w.env, k, other)), w.syms, w.vals)
            except (ShapeErr, Ambiguous):
                continue
            if swapped.shape == w.truth.shape and close(swapped, w.truth):
                notes.append(f"occurrence {k + 1} of {name} -> {other} makes it right")
    declared = {s.split("=")[0] for s in p.domains}
    shapes = dict(parse_shape(s) for s in p.shapes)
    for name in p.prims:
        if name in declared:
            continue
        r, cols = shapes.get(name, (1, 1))
        if (r, cols) == (1, 1):
            kinds = ["positive", "unit"]
        elif 1 in (r, cols):
            kinds = ["onehot", "simplex", "positive", "unit"]
        else:
            kinds = ["onehot", "simplex", "onehot_rows", "simplex_rows", "positive", "unit"]
        for kind in kinds:
            rng = np.random.default_rng([seed, 99])
            world = build_world(p, c.wrt, rng, {name: kind})
            try:
                claim = numeric(c.fn(world.env), world.syms, world.vals)
            except (ShapeErr, Ambiguous):
                continue
            finite = np.isfinite(claim).all() and np.isfinite(world.truth).all()
            if finite and claim.shape == world.truth.shape and close(claim, world.truth):
                notes.append(f"right when {name} is {kind}")
    return notes


# ----------------------------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------------------------


def main() -> int:
    args = sys.argv[1:]
    verbose = "-v" in args
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else SEED
    if "--real-range" in args:  # a robustness run, e.g. the grader's own U(-3, 3)
        REAL_RANGE.append(float(args[args.index("--real-range") + 1]))
    lines = [json.loads(t) for t in CORPUS.read_text(encoding="utf-8").splitlines() if t.strip()]
    by_id = {c["id"]: c for c in lines}
    failures: list[str] = []
    if len(by_id) != len(lines):
        failures.append("duplicate ids in the corpus")
    mine = {c.id: c for c in CASES}
    if len(mine) != len(CASES):
        failures.append("duplicate ids in the oracle")
    for missing in sorted(set(by_id) - set(mine)):
        failures.append(f"{missing}: in the corpus but not translated here")
    for extra in sorted(set(mine) - set(by_id)):
        failures.append(f"{extra}: translated here but not in the corpus")

    worlds: dict[tuple[str, str], World] = {}
    tally = {"correct": 0, "incorrect": 0}
    for c in CASES:
        if c.id not in by_id:
            continue
        row = by_id[c.id]
        p = PROBLEMS[c.problem]
        texts = {
            "loss": p.loss[0],
            "wrt": c.wrt,
            "claim": c.claim,
            "let": [f"{n}={t}" for n, t, _ in p.lets],
            "shape": p.shapes,
            "domain": p.domains,
        }
        for key, value in texts.items():
            if row.get(key) != value:
                failures.append(f"{c.id}: {key} is {row.get(key)!r}, translated {value!r}")
        key = (c.problem, c.wrt)
        if key not in worlds:
            rng = np.random.default_rng([seed, len(worlds)])
            worlds[key] = build_world(p, c.wrt, rng)
            if worlds[key].fd_error > 1e-5:
                message = f"{c.problem} d/d{c.wrt}: sympy and finite differences disagree"
                if REAL_RANGE:  # wide draws reach a = 1 - 1e-9, where no step size works
                    print("warning:", message, f"({worlds[key].fd_error:.1e})")
                else:
                    failures.append(message)
        w = worlds[key]
        try:
            value = c.fn(w.env)
        except ShapeErr as err:
            verdict, diagnosis, note = "incorrect", "shape_error", str(err)
        except Ambiguous as err:
            verdict, diagnosis, note = "?", "?", str(err)
        else:
            claim = numeric(value, w.syms, w.vals)
            if not np.isfinite(claim).all() or not np.isfinite(w.truth).all():
                verdict, diagnosis, note = "?", "?", "non-finite values"
            else:
                diagnosis, note = diagnose(claim, w.truth, w)
                verdict = "correct" if diagnosis is None else "incorrect"
        expected = row["expect"]
        if diagnosis == "wrong" and (flip := inner_transpose(c, w)) is not None:
            diagnosis, note = "transposed", flip
        if diagnosis == "wrong":
            found = slips(c, p, w, seed)
            if found:
                diagnosis, note = "ambiguous", "a classic slip: " + "; ".join(found)
        ok = verdict == expected["verdict"] and diagnosis == expected["diagnosis"]
        if verdict in tally:
            tally[verdict] += 1
        mark = "ok  " if ok else "FAIL"
        shown = verdict if diagnosis is None else f"{verdict}/{diagnosis}"
        want = expected["verdict"] + (f"/{expected['diagnosis']}" if expected["diagnosis"] else "")
        if verbose or not ok:
            extra = f"  [{note}]" if note else ""
            print(f"{mark} {c.id:34} {shown:28} expected {want}{extra}")
        if not ok:
            failures.append(f"{c.id}: derived {shown}, expected {want}")
    if not verbose:
        print(f"{len(CASES)} cases checked")
    print(
        f"{tally['correct']} correct, {tally['incorrect']} incorrect; "
        f"{len(worlds)} (problem, wrt) truths confirmed by finite differences "
        f"(worst gap {max(w.fd_error for w in worlds.values()):.1e})"
    )
    for f in failures:
        print("FAIL", f)
    print("all verdicts and diagnoses agree" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
