"""A problem in SymPy: the exact truth, its printed forms, symbolic proof and exact evaluation.

Built only when something shows a formula, proves a claim or evaluates at an exact point
(`Setting.symbolic`); the verdict itself never waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from backprop_coach.expr.symbolic import Value, build, free_entries, shape_of
from backprop_coach.expr.tree import Node
from backprop_coach.grading.problem import Problem
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
        return f"entry {label}:\n" + sp.pretty(value[0, 0], use_unicode=True, num_columns=WIDTH)
    return sp.pretty(value, use_unicode=True, num_columns=WIDTH)


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
        """The true gradient with lets folded back in, in its shortest readable form, for
        printing (built once per setting, inside Setting.printed's budget)."""
        return readable(self.display(self.truth))

    @cached_property
    def truth_pretty(self) -> str:
        return pretty(self.truth_display)

    @cached_property
    def truth_text(self) -> str:
        return str(self.truth_display)

    @cached_property
    def truth_latex(self) -> str:
        """LaTeX of the truth (its first entry for a matrix)."""
        shown = self.truth_display
        return sp.latex(shown[0, 0] if isinstance(shown, sp.MatrixBase) else shown)

    def display(self, value: Value) -> Value:
        """Fold let definitions back into their names, for printing (a = σ(z) shows as a)."""
        for name in reversed(self.world.lets):
            let = self.world.lets[name]
            if shape_of(let) is None and not let.is_Atom:
                value = value.subs(let, sp.Symbol(name, real=True))
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
