"""Typed reads of JSON-shaped objects (tool arguments, tool results) for the flights tools.

Every problem is collected, at its snake_case JSON path ("flights.2.price"),
with the bridge's Zod-like wording, before anything fails: the caller decides
whether the problems are the client's (VALIDATION_ERROR) or a tool's
(TOOL_ERROR).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from server.platform.validation import Violations

_TYPE_NAMES: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    tuple: "array",
    dict: "object",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
REQUIRED = "Required"


def received(value: Any) -> str:
    if isinstance(value, Mapping):
        return "object"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def rfc3339(moment: datetime) -> str:
    """Seconds precision with the UTC offset; "Z" when it is zero."""
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def parse_timestamp(text: str) -> datetime | None:
    """An RFC 3339 date-time with an offset, or None."""
    if not _TIMESTAMP.fullmatch(text):
        return None
    # fromisoformat takes at most 6 fractional digits.
    head, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


class FieldReader:
    """Reads the keys of one JSON object; problems go to the shared `Violations`."""

    def __init__(self, data: Mapping[str, Any], violations: Violations, path: str = "") -> None:
        self.data = data
        self.violations = violations
        self.path = path

    def at(self, key: str | int) -> str:
        return f"{self.path}.{key}" if self.path else str(key)

    def _present(self, key: str, required: bool) -> Any:
        value = self.data.get(key)
        if (value is None or value == "") and required:
            self.violations.add(self.at(key), REQUIRED)
        return value

    def _expected(self, key: str, what: str, value: Any) -> None:
        self.violations.add(self.at(key), f"Expected {what}, received {received(value)}")

    def string(self, key: str, *, required: bool = False) -> str | None:
        """A string; None when absent, null or empty."""
        value = self._present(key, required)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self._expected(key, "string", value)
            return None
        return value

    def integer(self, key: str, *, required: bool = False, minimum: int | None = None) -> int | None:
        value = self._present(key, required)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self._expected(key, "integer", value)
            return None
        if minimum is not None and value < minimum:
            self.violations.add(self.at(key), f"Number must be greater than or equal to {minimum}")
            return None
        return value

    def number(self, key: str, *, required: bool = False) -> float | None:
        value = self._present(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            self._expected(key, "number", value)
            return None
        return float(value)

    def object(self, key: str, *, required: bool = False) -> FieldReader | None:
        value = self._present(key, required)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self._expected(key, "object", value)
            return None
        return FieldReader(value, self.violations, self.at(key))

    def array(self, key: str, *, required: bool = False) -> Sequence[Any] | None:
        value = self._present(key, required)
        if value is None:
            return None
        if not isinstance(value, list | tuple):
            self._expected(key, "array", value)
            return None
        return value

    def day(self, key: str, *, required: bool = False) -> date | None:
        """A calendar date written YYYY-MM-DD."""
        text = self.string(key, required=required)
        if text is None:
            return None
        if _DATE.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        self.violations.add(self.at(key), "Invalid date: expected YYYY-MM-DD")
        return None

    def timestamp(self, key: str, *, required: bool = False) -> datetime | None:
        """An RFC 3339 date-time with its UTC offset."""
        text = self.string(key, required=required)
        if text is None:
            return None
        moment = parse_timestamp(text)
        if moment is None:
            self.violations.add(self.at(key), "Invalid datetime: expected RFC 3339 with an offset")
        return moment

    def items(self, key: str, values: Sequence[Any]) -> list[FieldReader | None]:
        """Each element of an array read as an object (None, with a violation, when it is not one)."""
        readers: list[FieldReader | None] = []
        for index, item in enumerate(values):
            if isinstance(item, Mapping):
                readers.append(FieldReader(item, self.violations, f"{self.at(key)}.{index}"))
            else:
                self.violations.add(f"{self.at(key)}.{index}", f"Expected object, received {received(item)}")
                readers.append(None)
        return readers
