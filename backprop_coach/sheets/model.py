r"""Cheat sheets as data. An `Identity` states a derivative and carries the problem that proves
it with the checker (the tests grade every one), so a sheet can never teach a wrong derivative.

Every formula is written twice, by hand and side by side: `formula` as plain text (terminal,
Markdown, SVG) and `latex` for the typeset HTML sheet. At the top level of `latex`, `\text{...}`
is prose and `\quad` separates formulas, so the HTML can wrap a long row between them."""

from __future__ import annotations

from dataclasses import dataclass, field

from backprop_coach.expr.problem import Problem


@dataclass(frozen=True)
class Identity:
    label: str
    formula: str  # as the learner reads it: δᴸ = ∇ₐL ⊙ σ'(zᴸ)
    latex: str  # the same, typeset: \delta^{L} = \nabla_a L \odot \sigma'(z^{L})
    problem: Problem  # the setting in the checker's language
    claim: str  # the formula in the expression language, graded against d(loss)/d(wrt)


@dataclass(frozen=True)
class Definition:
    label: str
    formula: str
    latex: str  # the formula typeset; prose in \text{...}, separate formulas split by \quad


@dataclass(frozen=True)
class Note:
    text: str


@dataclass(frozen=True)
class Code:
    title: str
    code: str


Entry = Identity | Definition | Note | Code


@dataclass(frozen=True)
class Section:
    title: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Sheet:
    name: str
    title: str
    sections: tuple[Section, ...]
    topics: tuple[str, ...] = field(default=())  # bank topics that drill it

    @property
    def identities(self) -> list[Identity]:
        return [e for s in self.sections for e in s.entries if isinstance(e, Identity)]
