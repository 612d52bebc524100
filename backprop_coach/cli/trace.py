"""`backprop-coach trace`: a worked forward and backward pass of a small network."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Registered once the engine exists."""
