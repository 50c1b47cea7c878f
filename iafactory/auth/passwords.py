"""Password hashing (argon2id), bounded per process, and the password policy."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from iafactory.errors import BadUserInput, RateLimited

T = TypeVar("T")

MIN_LENGTH = 10
MAX_LENGTH = 256

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the email is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("iafactory-timing-equaliser")


def check_policy(password: str, *, email: str) -> None:
    if len(password) < MIN_LENGTH:
        raise BadUserInput(f"The password must be at least {MIN_LENGTH} characters long.")
    if len(password) > MAX_LENGTH:
        raise BadUserInput(f"The password must be at most {MAX_LENGTH} characters long.")
    if password.lower() == email.lower() or password.isdigit() or len(set(password)) < 4:
        raise BadUserInput("This password is too easy to guess.")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; always spends one argon2 verification (a password
    longer than the policy allows can match nothing: refused without hashing it)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


class PasswordWork:
    """argon2 in threads, at most one per core at a time (each takes a core for ~0.2 s and
    64 MiB): a flood of sign-ins queues here instead of starving the event loop's threads and
    the memory. Beyond `max_waiting` callers in line, RATE_LIMITED at once.

    >>> work = PasswordWork()
    >>> await work.verify(stored_hash, "correct horse battery staple")
    """

    def __init__(self, slots: int | None = None, *, max_waiting: int = 64) -> None:
        self.slots = slots or len(os.sched_getaffinity(0))
        self._semaphore = asyncio.Semaphore(self.slots)
        self._admitted = 0
        self._limit = self.slots + max_waiting

    async def hash(self, password: str) -> str:
        return await self._run(hash_password, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await self._run(verify_password, password_hash, password)

    async def _run(self, work: Callable[..., T], *args: object) -> T:
        if self._admitted >= self._limit:
            raise RateLimited(1, "The server is busy signing others in; retry in a second.")
        self._admitted += 1
        try:
            async with self._semaphore:
                return await asyncio.to_thread(work, *args)
        finally:
            self._admitted -= 1
