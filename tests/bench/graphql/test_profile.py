"""py-spy's stacks are summed by area of the code they were sampled in."""

from __future__ import annotations

from bench.graphql import profile

START = "<module> (iafactory/cli/__main__.py:5);Runner.run (asyncio/runners.py:118)"
EXECUTE = "execute_fields (graphql/execution/executor.py:886)"


def summarise(*stacks: str) -> tuple[int, dict[str, int], dict[str, int]]:
    total, own, inclusive, _ = profile.summarise("\n".join(stacks))
    return total, dict(own), dict(inclusive)


def test_a_sample_is_its_innermost_areas_and_counts_for_every_area_below_the_event_loop() -> None:
    total, own, inclusive = summarise(
        f"{START};{EXECUTE};batch (iafactory/resolvers/loaders.py:69) 3",
        f"{START};{EXECUTE};Py_DECREF (object.h:537) 5",
        f"{START} 2",
    )

    assert total == 10
    assert own == {"our loaders/pagination (+ DataLoader)": 3, "graphql-core": 5, profile.EVENT_LOOP: 2}
    assert inclusive["graphql-core"] == 8, "the loader's samples ran under graphql-core's frames"
    assert "our other code (resolvers, types, context)" not in inclusive, "the process's start is not work"


def test_garbage_collection_and_system_calls_are_areas_of_their_own() -> None:
    _, own, _ = summarise(
        f"{START};{EXECUTE};gc_collect_main (libpython3.11.so.1.0);visit (gcmodule.c:1) 4",
        f"{START};_do_execute (asyncpg/connection.py:2066);write (libc.so.6) 6",
    )

    assert own == {profile.GC: 4, profile.SYSCALLS: 6}
