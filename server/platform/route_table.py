"""What the chat and embedding registries share: the route index and closing providers."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping, Sequence
from typing import Protocol, TypeVar


class _Route(Protocol):
    @property
    def public_id(self) -> str: ...

    @property
    def provider(self) -> str: ...


R = TypeVar("R", bound=_Route)


def index_routes(routes: Sequence[R], providers: Mapping[str, object], what: str) -> dict[str, R]:
    """Routes by public id; a duplicate id or an unknown provider is a ValueError naming `what`."""
    indexed: dict[str, R] = {}
    for route in routes:
        if route.public_id in indexed:
            raise ValueError(f"duplicate {what} route {route.public_id!r}")
        if route.provider not in providers:
            raise ValueError(f"{what} {route.public_id!r} uses unknown provider {route.provider!r}")
        indexed[route.public_id] = route
    return indexed


class _Closable(Protocol):
    def aclose(self) -> Awaitable[None]: ...


async def close_each_once(providers: Iterable[_Closable]) -> None:
    """Closes every provider once, even if several names share an instance."""
    seen: set[int] = set()
    for provider in providers:
        if id(provider) not in seen:
            seen.add(id(provider))
            await provider.aclose()
