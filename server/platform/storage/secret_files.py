"""Secrets generated once into the data directory, safely under concurrent starts."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


def read_or_create_secret(path: Path, generate: Callable[[], str]) -> str:
    """The file's content; when it does not exist, `generate()` written with mode 0600.

    Written whole to a private temp file, then linked into place: processes
    starting at once all end up with the first one's secret, never a torn file.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = generate()
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    try:
        os.link(temp, path)
    except FileExistsError:
        value = path.read_text().strip()
    finally:
        temp.unlink()
    return value
