"""A problem in SymPy: the exact truth, its printed forms, symbolic proof and exact evaluation.

Built only when something shows a formula, proves a claim or evaluates at an exact point
(`Setting.symbolic`); the verdict itself never waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from backprop_coach.expr.problem import Problem
from backprop_coach.expr.symbolic import Value, build, free_entries, shape_of
from backprop_coach.expr.tree import Node
from backprop_coach.grading.world import World

BUILT_CLAIMS = 256  # claims kept built per problem
WIDTH = 72  # columns a printed formula may take beside its label


def pretty(value: object) -> str:
    """Unicode pretty print; a matrix whole when it fits WIDTH columns, else its first entry
    (whole matrices of long entries are unreadable in a terminal)."""
    if isinstance(value, sp.MatrixBase):
        whole = sp.pretty(value, use_unicode=True, num_columns=10_000)
        if max(len(line) for line in whole.splitlines()) <= WIDTH:
            return whole
        label = "[0]" if value.cols == 1 else "[0,0]"
        return f"entry {label}:\n" + _fitted(value[0, 0])
    return _fitted(value)


def _fitted(value: object) -> str:
    """One formula in WIDTH columns: SymPy's picture when it fits; a one-line formula broken
    between terms or factors (never inside a name, as SymPy's own ↪ breaks do); anything
    else as one line of text, broken the same way."""
    shown = sp.pretty(value, use_unicode=True, num_columns=10_000)
    lines = shown.splitlines()
    if max(len(line) for line in lines) <= WIDTH:
        return shown
    flat = lines[0] if len(lines) == 1 else sp.sstr(value).replace("**", "^").replace("*", "⋅")
    return "\n".join(_break(flat, WIDTH))


def _break(text: str, width: int) -> list[str]:
    """Lines of at most `width` columns, broken before a top-level + or − where possible, else
    after a ⋅ (a continued line is indented by two spaces)."""
    lines: list[str] = []
    while len(text) > width:
        depth = 0
        best: tuple[int, int, int] | None = None  # (depth, kind: 0 for ±, 1 for ⋅, -position)
        for k, ch in enumerate(text[:width]):
            depth += 1 if ch in "([" else -1 if ch in ")]" else 0
            if k < width // 3:
                continue  # a line of a few characters helps nobody
            if text.startswith((" + ", " - "), k):
                candidate = (depth, 0, -k)
            elif ch == "⋅":
                candidate = (depth, 1, -(k + 1))
            else:
                continue
            best = candidate if best is None or candidate < best else best
        at = -best[2] if best is not None else width
        lines.append(text[:at].rstrip())
        text = "  " + text[at:].lstrip()
    lines.append(text)
    return lines


READABLE_ENTRIES = 16  # larger truths are printed as built (rewriting each entry costs)
READABLE_OPS = 24  # and so are entries of more operations


def readable(value: Value) -> Value:
    """The shortest of a few equivalent forms of each entry (as it is, cancelled, factored,
    cancelled with common factors taken out), by operation count then length: BCE's
    a(1 − y) − y(1 − a) reads a − y. Every form is SymPy's rewriting of the same expression,
    so it stays the truth."""
    if isinstance(value, sp.MatrixBase):
        if len(value) > READABLE_ENTRIES:
            return value
        return sp.ImmutableMatrix(value.rows, value.cols, [readable(e) for e in value])

    def cost(e: sp.Basic) -> tuple[int, int]:
        return int(sp.count_ops(e)), len(str(e))

    if cost(value)[0] > READABLE_OPS:
        return value  # a long formula is no easier to read rewritten, and costly to rewrite
    forms = [value]
    for rewrite in (sp.cancel, sp.factor, sp.factor_terms, lambda e: sp.factor_terms(sp.cancel(e))):
        try:
            forms.append(rewrite(value))
        except (TypeError, ValueError, NotImplementedError, sp.PolynomialError):
            continue
    return min(forms, key=cost)


@dataclass
class SymbolicSetting:
    """The problem in SymPy: the exact truth (entry by entry with sp.diff), its printed forms,
    symbolic proof and exact evaluation. Built only when something shows, proves or evaluates
    exactly (Setting.symbolic)."""

    problem: Problem
    world: World[Value]
    _built: dict[Node, Value] = field(default_factory=dict, repr=False)
    where: str | None = None  # what a name the printed truth introduces stands for

    @cached_property
    def truth(self) -> Value:
        loss, wrt = self.world.loss, self.world.wrt_value
        if isinstance(wrt, sp.MatrixBase):
            return sp.ImmutableMatrix(wrt.rows, wrt.cols, lambda i, j: sp.diff(loss, wrt[i, j]))
        return sp.diff(loss, wrt)

    def build(self, tree: Node) -> Value:
        """A claim in SymPy, built once for the printer, the proof and the domain hint alike
        (syntax trees are immutable and compare by content)."""
        value = self._built.get(tree)
        if value is None:
            if len(self._built) >= BUILT_CLAIMS:
                self._built.clear()
            value = self._built[tree] = build(tree, self.world.scope)
        return value

    @cached_property
    def truth_display(self) -> Value:
        """The true gradient with lets folded back in and softmax outputs named, in its
        shortest readable form, for printing (built once per setting, inside Setting.printed's
        budget)."""
        return readable(self.name_softmax(self.display(self.truth)))

    def name_softmax(self, value: Value) -> Value:
        """Write a softmax's outputs as p (or the let that defines them), as the textbook does:
        with S = Σ exp(u_j), each exp(k·u_i) becomes (p_i·S)^k, S must cancel, and a group that
        sums to one (p itself; y when its domain says so) is 1. The cross-entropy gradient
        −y[0]·(exp(z0)/S − exp(2z0)/S²)·S·exp(−z0) + … reads p[0] − y[0]. Returns `value`
        unchanged when there is no such sum, more than one, or S does not cancel."""
        sums = {
            node
            for node in sp.preorder_traversal(value)
            if isinstance(node, sp.Add)
            and len(node.args) > 1
            and all(isinstance(a, sp.exp) for a in node.args)
        }
        if len(sums) != 1:
            return value
        (total,) = sums
        inputs = [a.args[0] for a in total.args]
        let_name = self._softmax_name(total, inputs)
        taken = {str(s).split("[")[0] for s in value.free_symbols} | set(self.world.scope.values)
        fresh = [n for n in ("p", "s", "q") if n not in taken]
        name = let_name or (fresh[0] if fresh else None)
        if name is None:
            return value
        # the let's own entry symbols (as display() folded them), or new ones
        p = [sp.Symbol(f"{name}[{i}]", real=True) for i in range(len(inputs))]
        S = sp.Dummy("S", positive=True)

        def as_p(e: sp.Basic) -> sp.Basic:
            for u, p_i in zip(inputs, p, strict=True):
                k = sp.cancel(e.args[0] / u)
                if k.is_Rational:
                    return (p_i * S) ** k
            return e

        def rewrite(entry: sp.Expr) -> sp.Expr | None:
            out = entry.xreplace({total: S}).replace(lambda e: isinstance(e, sp.exp), as_p)
            out = sp.cancel(out)
            if S in out.free_symbols:
                return None
            out = sp.collect(sp.expand(out), p, func=sp.factor)  # p0·x0·(y0 + y1 + y2) − x0·y0
            for group_sum in self._sums(p):
                out = out.subs(group_sum, 1)
            return out if sp.count_ops(out) <= sp.count_ops(entry) else None

        entries = list(value) if isinstance(value, sp.MatrixBase) else [value]
        rewritten = [rewrite(e) for e in entries]
        if any(r is None for r in rewritten):
            return value
        if let_name is None:
            self.where = f"where {name} = softmax({self._vector_text(inputs)})"
        if isinstance(value, sp.MatrixBase):
            return sp.ImmutableMatrix(value.rows, value.cols, rewritten)
        return rewritten[0]

    def _vector_text(self, entries: list[sp.Expr]) -> str:
        """The softmax's input in the problem's names: a primary or let vector V whose entries
        these are, or r·V for one scalar r (z/T); else the entries themselves."""
        for name, value in (*self.world.primaries.items(), *self.world.lets.items()):
            if not isinstance(value, sp.MatrixBase) or len(value) != len(entries):
                continue
            if list(value) == entries:
                return name
            ratio = sp.cancel(entries[0] / value[0])
            if ratio.free_symbols & set(value.free_symbols):
                continue
            if all(sp.cancel(u - ratio * v) == 0 for u, v in zip(entries, value, strict=True)):
                return sp.sstr(ratio * sp.Symbol(name))
        return "[" + ", ".join(sp.sstr(u) for u in entries) + "]"

    def _softmax_name(self, total: sp.Expr, inputs: list[sp.Expr]) -> str | None:
        """The let whose entries are exactly exp(u_i)/S for this S (not 2·softmax, not
        softmax·v), if the problem has one."""
        for name, let in self.world.lets.items():
            if (
                isinstance(let, sp.MatrixBase)
                and len(let) == len(inputs)
                and all(e == sp.exp(u) / total for e, u in zip(let, inputs, strict=True))
            ):
                return name
        return None

    def _sums(self, p: list[sp.Symbol]) -> list[sp.Expr]:
        """The sums that are 1: Σp, and each group of a target whose domain sums to one."""
        from backprop_coach.grading.sampling import groups

        out = [sp.Add(*p)]
        for name, domain in self.problem.domains.items():
            value = self.world.primaries.get(name)
            if isinstance(value, sp.MatrixBase):
                out += [sp.Add(*(value[i, j] for i, j in g)) for g in groups(domain, value.shape)]
        return [g for g in out if isinstance(g, sp.Add)]

    @cached_property
    def truth_pretty(self) -> str:
        shown = pretty(self.truth_display)
        return f"{shown}\n{self.where}" if self.where else shown

    @cached_property
    def truth_text(self) -> str:
        shown = str(self.truth_display)
        return f"{shown}, {self.where}" if self.where else shown

    @cached_property
    def truth_latex(self) -> str:
        """LaTeX of the truth (its first entry for a matrix)."""
        shown = self.truth_display
        return sp.latex(shown[0, 0] if isinstance(shown, sp.MatrixBase) else shown)

    def display(self, value: Value) -> Value:
        """Fold let definitions back into their names, for printing (a = σ(z) shows as a)."""
        for name in reversed(self.world.lets):
            let = self.world.lets[name]
            if shape_of(let) is None:
                if not let.is_Atom:
                    value = value.subs(let, sp.Symbol(name, real=True))
                continue
            # a vector or matrix let entry by entry: sigmoid(z1[0]) shows as a1[0]
            assert isinstance(let, sp.MatrixBase)
            mapping = {
                let[i, j]: sp.Symbol(
                    f"{name}[{i}]" if let.cols == 1 else f"{name}[{i},{j}]", real=True
                )
                for i in range(let.rows)
                for j in range(let.cols)
                if not let[i, j].is_Atom
            }
            value = value.xreplace(mapping)
        return value

    def expand_wrt(self, value: Value) -> Value:
        """Express a value in primaries only (replace the wrt node by its definition)."""
        if self.world.wrt_definition is None:
            return value
        mapping = dict(
            zip(
                free_entries(self.world.wrt_value),
                free_entries(self.world.wrt_definition),
                strict=True,
            )
        )
        return value.xreplace(mapping)

    @cached_property
    def sums_to_one(self) -> dict[sp.Basic, sp.Expr]:
        """For every name whose domain makes groups of entries sum to one, the last entry of each
        group as 1 minus the others. A proof with these substituted holds on the declared domain
        (it uses only that each group sums to one, which every such point satisfies). The groups
        are the sampler's (grading.sampling.groups): the columns for onehot and simplex (a 1xC
        row is one group), the rows for onehot_rows and simplex_rows; a group of one entry (a
        scalar, an Rx1 batch of rows) is a free 0/1 label or probability, and stays as it is."""
        from backprop_coach.grading.sampling import groups

        out: dict[sp.Basic, sp.Expr] = {}
        for name, domain in self.problem.domains.items():
            value = self.world.primaries.get(name)
            if value is None or not isinstance(value, sp.MatrixBase):
                continue
            for group in groups(domain, value.shape):
                if len(group) > 1:
                    entries = [value[i, j] for i, j in group]
                    out[entries[-1]] = 1 - sp.Add(*entries[:-1])
        return out
