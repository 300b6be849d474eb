"""Size limits of `POST /codebase/analyze`: over them is 422 VALIDATION_ERROR naming the field.

The totals stay under the REST bridge's 1 MiB body, so a client sees these
limits, not a 413, whatever the transport.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.platform.errors import FieldViolation, invalid_argument
from server.surfaces.chaozcode.codebase.analysis import DEPTHS, SourceFile
from server.surfaces.chaozcode.query import missing

MAX_FILES = 500
MAX_PATH = 500
MAX_FILE_CHARS = 200_000
MAX_TOTAL_CHARS = 900_000


def check_analysis(files: Sequence[SourceFile], depth: str) -> None:
    if not files:
        raise missing("files")
    if len(files) > MAX_FILES:
        raise invalid_argument(f"files takes at most {MAX_FILES} files", (FieldViolation("files", "too_large"),))
    for index, source in enumerate(files):
        if not 1 <= len(source.path) <= MAX_PATH:
            raise invalid_argument(
                f"files[{index}].path must be 1 to {MAX_PATH} characters",
                (FieldViolation(f"files[{index}].path", "invalid"),),
            )
        if len(source.content) > MAX_FILE_CHARS:
            raise invalid_argument(
                f"files[{index}].content must be at most {MAX_FILE_CHARS:,} characters",
                (FieldViolation(f"files[{index}].content", "too_long"),),
            )
    if sum(len(s.content) for s in files) > MAX_TOTAL_CHARS:
        raise invalid_argument(
            f"files must hold at most {MAX_TOTAL_CHARS:,} characters in all", (FieldViolation("files", "too_large"),)
        )
    if depth not in DEPTHS:
        raise invalid_argument(f"depth must be one of {', '.join(DEPTHS)}", (FieldViolation("depth", "invalid"),))
