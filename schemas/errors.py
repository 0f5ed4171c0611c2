"""Why an input was refused: the one exception the ingest stage turns into a dead-letter record.

Every invalid input raises :class:`InvalidInput` carrying a machine-readable ``kind`` (one of
:data:`REASONS`) and a list of located problems, so the dead-letter record says exactly which
field was wrong and why, in words an analyst can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

#: Dead-letter reason kinds, stable for dashboards and metrics.
REASONS = (
    "too_large",
    "invalid_utf8",
    "invalid_json",
    "schema",
    "unknown_company",
    "bad_period",
    "bad_value",
    "internal_error",
)


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One located problem: ``loc`` is a dotted path into the JSON ("metrics.0.value")."""

    loc: str
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.message}" if self.loc else self.message


class InvalidInput(ValueError):
    """An input message that cannot be processed; carries the reason kind and the problems."""

    def __init__(self, kind: str, problems: list[InputProblem]) -> None:
        assert kind in REASONS, kind
        self.kind = kind
        self.problems = problems
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        head = "; ".join(str(p) for p in self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        return f"{self.kind}: {head}{more}"


def problems_of(exc: ValidationError) -> list[InputProblem]:
    """Pydantic errors as located problems, without echoing huge input values back."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(part) for part in error["loc"])
        problems.append(InputProblem(loc, error["msg"]))
    return problems
