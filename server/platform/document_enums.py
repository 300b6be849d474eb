"""Contract enums that carry a document's closed set of spellings.

An enum's values name their wire spelling with `(chorus.api.v1.enum_value).json`
(read by the bridge's codec too, rest_bridge.jsoncodec.enum_spellings). Domain
code keeps the spellings, which is what it stores and what an agent's tool
arguments hold; servicers convert at the gRPC edge with a DocumentEnum.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

from rest_bridge.jsoncodec import enum_spellings

__all__ = ["DocumentEnum"]

E = TypeVar("E", bound=int)


class DocumentEnum(Generic[E]):
    """The spellings of one generated enum type (e.g. `resources_pb2.TaskStatus`)."""

    def __init__(self, enum_type: type[E]) -> None:
        descriptor: Any = getattr(enum_type, "DESCRIPTOR")  # noqa: B009 - the stubs do not declare it
        self.full_name: str = descriptor.full_name
        self._numbers = enum_spellings(descriptor)
        if not self._numbers:
            raise TypeError(f"{self.full_name} has no (chorus.api.v1.enum_value).json spellings")
        self._texts = {number: text for text, number in self._numbers.items()}
        # The document's set, in declaration order: what a domain check accepts.
        self.choices: tuple[str, ...] = tuple(self._numbers)

    def text(self, number: int) -> str:
        """The spelling of `number`; "" for the unspecified zero (not given). A number
        outside the set (gRPC enums are open) comes back as its digits, which no
        spelling equals, so the domain's check refuses it like any unknown value."""
        text = self._texts.get(number)
        if text is not None:
            return text
        return "" if number == 0 else str(number)

    def number(self, text: str) -> E:
        """The value of a spelling the domain has checked (KeyError for any other)."""
        return cast(E, self._numbers[text])
