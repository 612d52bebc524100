"""The `trace --check` quantity language: `delta2=[0.1385, -0.0381]`, `W2_new[0][0]=0.3589`, a
quantity of a worked network (with an optional index) and the learner's numbers for it, each
number read with its significant figures (expr.parse.parse_number)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from backprop_coach.expr.errors import SpecError
from backprop_coach.expr.parse import GivenNumber, parse_number, within_limit

QUANTITY_BASES = ("loss", "z", "a", "delta", "δ", "dW", "db", "W", "b")
_QUANTITY = re.compile(
    r"\s*(?P<base>loss|delta|δ|dW|db|z|a|W|b)(?P<layer>[0-9]{1,2})?(?P<new>_new)?"
    r"(?P<idx>(?:\s*\[[^\]]*\])*)\s*=\s*(?P<value>.+?)\s*"
)

Numbers = GivenNumber | list["Numbers"]


@dataclass(frozen=True)
class QuantityClaim:
    """`W2_new[0][0]=0.3589`: a quantity of a worked network and the learner's value for it."""

    text: str
    base: str  # loss, z, a, delta, dW, db, W (with _new), b (with _new)
    layer: int | None
    index: tuple[int, ...]
    value: Numbers

    @property
    def name(self) -> str:
        return self.text.split("=", 1)[0].strip()


def parse_quantity_claim(text: str) -> QuantityClaim:
    within_limit(text, "--check value", SpecError)
    m = _QUANTITY.fullmatch(text)
    names = "names: loss, zL, aL, deltaL, dWL, dbL, WL_new, bL_new (L counts layers from 1)"
    unknown = re.fullmatch(r"\s*([^\W\d]\w*)\s*(?:\[[^=]*)?=.*", text, re.S)
    if m is None and unknown and re.sub(r"[0-9]*(_new)?$", "", unknown[1]) not in QUANTITY_BASES:
        raise SpecError(f"--check {text!r}: unknown name {unknown[1]!r}; {names}")
    if m is None:
        raise SpecError(
            f"--check {text!r}: expected NAME=VALUE such as delta2=[0.13, -0.04] or W2_new[0][0]=0.3589; "
            "names: loss, zL, aL, deltaL, dWL, dbL, WL_new, bL_new (L counts layers from 1)"
        )
    base = "delta" if m["base"] == "δ" else m["base"]
    layer = int(m["layer"]) if m["layer"] else None
    new = bool(m["new"])
    if base == "loss":
        if layer is not None or new or m["idx"]:
            raise SpecError(f"--check {text!r}: loss takes no layer number or index")
    elif layer is None or layer < 1:
        raise SpecError(f"--check {text!r}: {base} needs a layer number from 1, e.g. {base}1")
    elif base in ("W", "b") and not new:
        raise SpecError(f"--check {text!r}: the updated weights are {base}{layer}_new")
    elif base not in ("W", "b") and new:
        raise SpecError(f"--check {text!r}: only W and b have an _new (updated) value")
    index: list[int] = []
    for part in re.findall(r"\[([^\]]*)\]", m["idx"]):
        for piece in part.split(","):
            if not re.fullmatch(r"\s*-?[0-9]{1,3}\s*", piece):
                raise SpecError(f"--check {text!r}: an index is a whole number, got [{part}]")
            index.append(int(piece))
    return QuantityClaim(text, base, layer, tuple(index), _numbers(m["value"], text))


def _numbers(text: str, whole: str) -> Numbers:
    tokens = re.findall(r"\[|\]|,|[^\[\],\s]+", text)
    pos = 0

    def value() -> Numbers:
        nonlocal pos
        if pos >= len(tokens):
            raise SpecError(f"--check {whole!r}: the value ends too early")
        tok = tokens[pos]
        pos += 1
        if tok != "[":
            return parse_number(tok, f"--check {whole!r}")
        items: list[Numbers] = []
        while pos < len(tokens) and tokens[pos] != "]":
            items.append(value())
            if pos < len(tokens) and tokens[pos] == ",":
                pos += 1
        if pos >= len(tokens):
            raise SpecError(f"--check {whole!r}: missing ']'")
        pos += 1
        return items

    result = value()
    if pos != len(tokens):
        raise SpecError(f"--check {whole!r}: unexpected {tokens[pos]!r} after the value")
    return result
