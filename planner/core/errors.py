"""Errors the domain raises; pages turn them into messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class PlannerError(Exception):
    """Base class: something the user can act on."""


class PermissionDenied(PlannerError):
    """The acting user's role may not do this (enforced in planner/, not by hiding buttons)."""

    def __init__(self, message: str, *, user: Any = None, action: str = "", entity: str = ""):
        super().__init__(message)
        self.user = user
        self.action = action
        self.entity = entity


class NotFound(PlannerError):
    pass


class StaleVersion(PlannerError):
    """Someone else saved this record since it was read."""


@dataclass(frozen=True)
class RowError:
    """One problem in an imported or edited table, located as a person would find it."""

    sheet: str
    row: int | None  # spreadsheet row number (header is row 1), None for whole-sheet errors
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


@dataclass
class ValidationFailed(PlannerError):
    """Input was rejected; nothing was written. Carries every error found."""

    errors: list[RowError] = field(default_factory=list)

    def __str__(self) -> str:
        n = len(self.errors)
        first = self.errors[0] if self.errors else None
        head = f"{n} error{'s' if n != 1 else ''}"
        if first:
            where = f"{first.sheet}" + (f" row {first.row}" if first.row else "")
            where += f" column {first.column}" if first.column else ""
            return f"{head}; first: {where}: {first.message}"
        return head
