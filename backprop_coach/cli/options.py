"""The options that describe a problem, declared once for every command that takes one (check,
graph): the loss, the name differentiated by, lets, shapes, domains, a point, a bank."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

LossOption = Annotated[
    str | None, typer.Option(metavar="EXPR", help="The loss, a scalar expression.")
]
WrtOption = Annotated[
    str | None,
    typer.Option(
        metavar="NAME", help="Differentiate with respect to this name; a --let name gives δ = ∂L/∂z."
    ),
]
LetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--let",
        metavar="NAME=EXPR",
        help="Abbreviation NAME=EXPR, in order; later ones may use earlier ones.",
    ),
]
ShapeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--shape",
        metavar="NAME=RxC",
        help=(
            "Matrix or vector NAME=RxC (a vector is Rx1); others are scalars. Up to 1024 "
            "entries (32x32); above 64 entries a name is checked by the numbers alone (no "
            "symbolic proof, no printed truth)."
        ),
    ),
]
DomainOption = Annotated[
    list[str] | None,
    typer.Option(
        "--domain",
        metavar="NAME=KIND",
        help="Where to sample NAME=KIND: real, positive, unit, binary (0/1 entries), onehot, "
        "simplex (per column, or along a 1xC row), onehot_rows, simplex_rows (per row: the "
        "batch-first layout).",
    ),
]
BankOption = Annotated[
    list[Path] | None,
    typer.Option("--bank", metavar="DIR", help="Also load questions from DIR (repeatable)."),
]
