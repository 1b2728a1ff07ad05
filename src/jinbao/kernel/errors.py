"""Typed domain errors with stable codes and bilingual messages.

Broken invariants and bad input raise a :class:`DomainError` subclass. Each carries a stable
``code`` (for machines: API clients, CLI scripts, tests) and a message in Chinese and English
(for people). Entry points map them once: HTTP problem details (RFC 9457), CLI exit codes.
Imports collect :class:`Issue` values row by row and raise one error carrying all of them,
so a person can fix a whole file in one pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem with one piece of input: which field (and row, in a file), why, in zh/en."""

    code: str
    zh: str
    en: str
    field: str | None = None
    row: int | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "zh": self.zh, "en": self.en}
        if self.field is not None:
            out["field"] = self.field
        if self.row is not None:
            out["row"] = self.row
        return out


class DomainError(Exception):
    """Base of every expected failure. ``kind`` decides the HTTP status and CLI exit code."""

    kind: ClassVar[str] = "invalid"

    def __init__(
        self,
        code: str,
        zh: str,
        en: str,
        *,
        field: str | None = None,
        issues: Sequence[Issue] = (),
    ) -> None:
        super().__init__(f"{code}: {en}")
        self.code = code
        self.zh = zh
        self.en = en
        self.field = field
        self.issues: tuple[Issue, ...] = tuple(issues) or (
            (Issue(code, zh, en, field=field),) if field is not None else ()
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled whole, so that an error raised in a worker process (the synthetic nation's
        writers) reaches the caller as itself, not as a failure to unpickle it."""
        return (
            type(self),
            (self.code, self.zh, self.en),
            {"field": self.field, "issues": self.issues},
        )


class InvalidInput(DomainError):
    """The input itself is wrong (format, checksum, out of range). Fix the input and retry."""

    kind = "invalid"


class NotFound(DomainError):
    """A referenced record does not exist."""

    kind = "not_found"


class Conflict(DomainError):
    """The input is well-formed but the current state refuses it (duplicate, wrong order)."""

    kind = "conflict"


class Unavailable(DomainError):
    """Something the request needs is not available now (a font, the database's write turn);
    nothing was wrong with the request, and nothing was written."""

    kind = "unavailable"
