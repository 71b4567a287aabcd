"""The refusal every administration service raises (accounts, assignments, roles, grants)."""

from __future__ import annotations


class AdminRefused(Exception):
    """The change is not acceptable; the French message says why. Nothing was written."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
