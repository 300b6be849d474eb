"""Field checks shared by projects, work sessions, todos and topics."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from server.platform.errors import ChorusError, already_exists
from server.platform.validation import Violations

_RESOURCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
MAX_ID = 128
# Title of every field error, the same as the bridge's own for undecodable requests.
INVALID_REQUEST = "Invalid request"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Free-form metadata is stored whole and returned on every read: keep it small.
MAX_METADATA_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int


def check_id(problems: Violations, field: str, value: str) -> None:
    if not value:
        problems.add(field, "Required")
    elif not _RESOURCE_ID.fullmatch(value):
        problems.add(field, "Must be 1-128 letters, digits or '-_.:@', starting with a letter or digit")


def check_label(problems: Violations, field: str, value: str) -> None:
    """A category-like name: 1-64 letters, digits, '-' or '_'."""
    if not value:
        problems.add(field, "Required")
    elif not _LABEL.fullmatch(value):
        problems.add(field, "Must be 1-64 letters, digits, '-' or '_', starting with a letter or digit")


def check_text(problems: Violations, field: str, value: str, maximum: int, required: bool = False) -> None:
    if required and not value.strip():
        problems.add(field, "Required")
    elif len(value) > maximum:
        problems.add(field, f"String must contain at most {maximum} character(s)")


def check_metadata(problems: Violations, field: str, metadata: dict[str, Any]) -> None:
    if len(orjson.dumps(metadata)) > MAX_METADATA_BYTES:
        problems.add(field, f"Must be at most {MAX_METADATA_BYTES} bytes as JSON")


def require_metadata_size(metadata: dict[str, Any]) -> None:
    """For metadata after a merge, inside the write: raises when it outgrew the limit."""
    problems = Violations()
    check_metadata(problems, "metadata", metadata)
    problems.raise_if_any(INVALID_REQUEST)


def check_page(problems: Violations, limit: int | None, offset: int) -> Page:
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        problems.add("limit", f"Must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        problems.add("offset", "Must be 0 or more")
    return Page(DEFAULT_LIMIT if limit is None else limit, offset)


def id_taken(kind: str, id_key: str, resource_id: str) -> ChorusError:
    """The document's answer to creating an id that exists, e.g. `{"error": "Project
    already exists", "message": "A project with id p1 already exists", "projectId": "p1"}`."""
    message = f"A {kind.lower()} with id {resource_id} already exists"
    return already_exists(f"{kind} already exists", f"{kind.upper()}_EXISTS", {"message": message, id_key: resource_id})
