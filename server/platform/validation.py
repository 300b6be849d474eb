"""Field checks that collect every violation before failing (like Zod)."""

from __future__ import annotations

import uuid

from server.platform.errors import FieldViolation, invalid_argument


class Violations:
    def __init__(self) -> None:
        self.items: list[FieldViolation] = []

    def add(self, field: str, description: str) -> None:
        self.items.append(FieldViolation(field, description))

    def uuid(self, field: str, value: str) -> None:
        try:
            uuid.UUID(value)
        except ValueError:
            self.add(field, "Invalid UUID format")
        else:
            # uuid.UUID also accepts braces, "urn:uuid:" and missing hyphens.
            if len(value) != 36:
                self.add(field, "Invalid UUID format")

    def length(self, field: str, value: str, minimum: int, maximum: int) -> None:
        if len(value) < minimum:
            self.add(field, f"String must contain at least {minimum} character(s)")
        elif len(value) > maximum:
            self.add(field, f"String must contain at most {maximum} character(s)")

    def raise_if_any(self, message: str = "Validation error") -> None:
        if self.items:
            raise invalid_argument(message, self.items)
