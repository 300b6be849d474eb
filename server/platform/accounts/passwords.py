"""Passwords: a documented policy, and argon2id hashes computed off the event loop.

argon2-cffi's `PasswordHasher` defaults are RFC 9106's second recommended
profile (argon2id, 64 MiB, 3 passes, 4 lanes); a hash takes tens of
milliseconds of CPU, so it runs in a worker thread. A failed sign-in of an
address with no password still verifies against a dummy hash, so the answer
takes as long whether the account exists or not.
"""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.platform.errors import FieldViolation, invalid_argument

MIN_LENGTH = 8
MAX_LENGTH = 128
POLICY = (
    f"Password must be {MIN_LENGTH} to {MAX_LENGTH} characters and contain an upper-case letter, "
    "a lower-case letter and a digit"
)


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    return _hasher().hash("no account has this password")


def check_policy(password: str, field: str = "password") -> None:
    """INVALID_ARGUMENT naming the policy when `password` breaks it."""
    ok = (
        MIN_LENGTH <= len(password) <= MAX_LENGTH
        and any(c.isupper() for c in password)
        and any(c.islower() for c in password)
        and any(c.isdigit() for c in password)
    )
    if not ok:
        raise invalid_argument(POLICY, (FieldViolation(field, "weak_password"),))


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher().hash, password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored` (None: no password; still costs one verification)."""
    return await asyncio.to_thread(_verify, stored, password)
