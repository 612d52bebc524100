"""Every name a derivation prompt's math uses (its **bold** spans) is usable in the answer: a
name of the problem (a primary or a let), a function of the language, or a constant. So a
prompt that says "given δ² = ..." declares δ2, and a learner can write what the prompt wrote."""

from __future__ import annotations

import re

import pytest

from backprop_coach.bank.load import load_bank, shipped_bank
from backprop_coach.expr.algebra import GREEK_ASCII
from backprop_coach.expr.functions import canonical_function
from backprop_coach.expr.problem import names_in_play

SHIPPED = load_bank(dirs=[shipped_bank()])
DERIVATIONS = [q for q in SHIPPED.questions if q.problem is not None]

SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉", "01234567890123456789")
BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
# A name: a Latin or Greek letter, more letters, then digits written plainly, as superscripts
# or as subscripts (a¹, δ², W₂, z1). Letter sub/superscripts (ᵢ, ⱼ, ᵀ) are indices, not names.
NAME = re.compile(
    r"(?<![A-Za-zα-ωΑ-Ω_])([A-Za-zα-ωΑ-Ω][A-Za-zα-ωΑ-Ω]*"
    r"(?:[0-9]+|[⁰¹²³⁴-⁹]+|[₀-₉]+)?(?:_[A-Za-z0-9]+)*)"
)
# Leibniz notation: the d of dσ/dz is not part of a name.
LEIBNIZ = re.compile(r"(?<![A-Za-z])d(?=[A-Za-zα-ωΑ-Ω][^\s/]*\s*/\s*d)|(?<=/)\s*d(?=[A-Za-zα-ωΑ-Ω])")
# The notation of derivatives and sums, and the constants: never names of the problem.
# f is the generic function of "f(z) = ..., derive f'(z)".
NOTATION = {"L", "d", "Σ", "e", "π", "pi", "T", "f", "axis"}
# A name with a letter index (zˡ, xᵢ, y⁽ⁱ⁾) is a family, not one name; a name defined as the
# gradient asked (δ¹ = ∂L/∂z¹) is the answer itself, which no let can declare.
FAMILY = re.compile(r"[ˡᵢⱼₖⁱʲᵏⁿᵐ⁽]")
ASKED = re.compile(r"\s*=\s*∂")
# Plain words a bold span may hold ("**W** is 2×3" bolds only W, but some bold a phrase).
WORDS = {
    "and", "for", "of", "the", "with", "in", "is", "as", "to", "a", "an", "or", "at", "each",
    "wrt", "row", "column", "layout", "batch", "first", "where", "given", "over", "all",
}  # fmt: skip


def math_names(prompt: str) -> set[str]:
    found = set()
    for span in BOLD.findall(prompt):
        span = LEIBNIZ.sub("", span)
        # a word in a phrase ("row layout") is prose; math names are short or carry an index
        for match in NAME.finditer(span):
            rest = span[match.end():]
            if FAMILY.match(rest) or ASKED.match(rest):
                continue
            found.add(match.group(1).translate(SUPER))
    return found


def usable(question) -> set[str]:  # type: ignore[no-untyped-def]
    names = {n for n, _, _ in names_in_play(question.problem)}
    return names | {GREEK_ASCII.get(n, n) for n in names} | {
        g for g, a in GREEK_ASCII.items() if a in names
    }


def test_extraction_reads_indices_and_skips_index_letters() -> None:
    found = math_names("given **δ² = (a² − y) ⊙ σ'(z²)**, **W₂ᵀ δ₂**, **Σ x**, **z1**")
    assert {"δ2", "a2", "y", "σ", "z2", "W2", "Σ", "x", "z1"} <= found
    assert math_names("**dσ/dz**") == {"σ", "z"}
    assert math_names("**θ1_new = √(g1² + g2²)**") == {"θ1_new", "g1", "g2"}
    assert math_names("**zˡ = Wˡaˡ⁻¹**, **y⁽ⁱ⁾**, **δ¹ = ∂L/∂z¹**") == {"L", "z1"}
    assert "ᵢ" not in "".join(found) and "ᵀ" not in "".join(found)


def unknown_names(question) -> set[str]:  # type: ignore[no-untyped-def]
    known = usable(question)
    bad = set()
    for name in math_names(question.prompt):
        plain = re.sub(r"_?[0-9]+$", "", name)
        if name in known or name in NOTATION or name.lower() in WORDS:
            continue
        if re.fullmatch(r"[A-Za-z]{4,}", name):
            continue  # a word of prose in a bold phrase ("row layout, as in PyTorch")
        if canonical_function(name) is not None or canonical_function(name.lower()) is not None:
            continue
        if plain != name and plain in known and name[len(plain):] in {"2", "3"}:
            continue  # a² is a square, not a name a2
        bad.add(name)
    return bad


def test_the_checker_of_this_test_finds_an_undeclared_name() -> None:
    question = next(q for q in DERIVATIONS if q.id == "sigmoid-neuron-dw")
    assert unknown_names(question) == set()
    from dataclasses import replace

    leaning = replace(question, prompt=question.prompt + "\nGiven **δ² = 0.3**, derive **∂L/∂w**.")
    assert unknown_names(leaning) == {"δ2"}
    leaning = replace(question, prompt="**row layout (batch-first, as in PyTorch)**: **m = 4**")
    assert unknown_names(leaning) == {"m"}


@pytest.mark.parametrize("question", DERIVATIONS, ids=[q.id for q in DERIVATIONS])
def test_every_name_in_the_prompt_math_is_usable(question) -> None:  # type: ignore[no-untyped-def]
    assert unknown_names(question) == set(), (
        f"{question.path}: the prompt's math names what the answer cannot use; declare it as "
        "a let (or rewrite the prompt)"
    )
