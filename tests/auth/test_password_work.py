"""PasswordWork: argon2 off the event loop, at most one per slot at a time, and a bounded line
(issue 9, finding 7: each hash takes a core and 64 MiB)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from iafactory.auth.passwords import PasswordWork, hash_password
from iafactory.errors import RateLimited


async def test_a_hash_verifies_through_the_bounded_pool() -> None:
    work = PasswordWork(slots=1)
    stored = await work.hash("correct horse battery staple")
    assert await work.verify(stored, "correct horse battery staple")
    assert not await work.verify(stored, "wrong horse battery staple")


async def test_no_more_hashes_run_at_once_than_there_are_slots() -> None:
    work = PasswordWork(slots=2, max_waiting=10)
    running, most = 0, 0
    lock = threading.Lock()

    def slow(_: object) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return True

    await asyncio.gather(*(work._run(slow, None) for _ in range(8)))
    assert most == 2


async def test_callers_beyond_the_line_are_rate_limited_at_once() -> None:
    work = PasswordWork(slots=1, max_waiting=1)
    results = await asyncio.gather(
        *(work.verify(None, "whatever password") for _ in range(4)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, RateLimited)]
    assert len(refused) == 2, results


def test_a_password_longer_than_the_policy_is_refused_without_hashing() -> None:
    from iafactory.auth.passwords import verify_password

    stored = hash_password("correct horse battery staple")
    started = time.monotonic()
    assert verify_password(stored, "x" * 1_000_000) is False
    assert time.monotonic() - started < 0.05


@pytest.mark.parametrize("slots", [None])
def test_slots_default_to_the_cores_available(slots: int | None) -> None:
    import os

    assert PasswordWork(slots).slots == len(os.sched_getaffinity(0))
