"""Optional features installed as pyproject.toml extras, and the message when one is missing.

A lean deployment leaves an extra out (`pip install chorus` without `[flights]`):
the rest of Chorus runs, the feature's start-up logs a warning, and its requests
fail with a message naming what to install, instead of an ImportError.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Extra:
    """Declared by the surface whose feature needs it (e.g. MCoS's flight search)."""

    name: str  # as in pyproject.toml's [project.optional-dependencies]
    feature: str
    modules: tuple[str, ...]

    @cached_property
    def missing(self) -> tuple[str, ...]:
        """The modules that are not installed (checked once: installs do not change under a running server)."""
        return tuple(module for module in self.modules if importlib.util.find_spec(module) is None)

    @property
    def message(self) -> str:
        return (
            f"{self.feature} needs the optional '{self.name}' dependencies, and {', '.join(self.missing)} "
            f"{'is' if len(self.missing) == 1 else 'are'} not installed: pip install 'chorus[{self.name}]' "
            "(make run installs every extra)"
        )
