"""The project's own error types for user input. Each carries a message a learner can act on."""

from __future__ import annotations


class ExprError(Exception):
    """Any problem with user-supplied input: the caller reports it and exits with code 2."""

    code = "invalid"

    def __init__(self, message: str, col: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.col = col

    def __str__(self) -> str:
        return f"column {self.col}: {self.message}" if self.col else self.message


class ParseError(ExprError):
    """The text is not in the expression language."""


class LimitError(ExprError):
    """The input is too long, too deep, too big, or took too long to decide."""


class NameError_(ExprError):
    """An unknown name or function."""


class ShapeError(ExprError):
    """Operands whose shapes do not conform (e.g. (2x3) @ (2x1))."""


class SpecError(ExprError):
    """A malformed spec of a problem, such as the shape W=2y3. `field` names what it
    specifies (let, shape, domain, wrt, at, check); the message does not name an option, so
    the command line can say `--shape W: ...` and a question file `shape: W: ...`."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def __str__(self) -> str:
        return f"{self.field} {self.message}" if self.field else self.message
