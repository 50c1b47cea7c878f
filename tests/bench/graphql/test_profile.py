"""py-spy's stacks are summed by area of the code they were sampled in."""

from __future__ import annotations

from bench.graphql import profile

START = "<module> (iafactory/cli/__main__.py:5);Runner.run (asyncio/runners.py:118)"
EXECUTE = "execute_fields (graphql/execution/executor.py:886)"


def test_samples_count_for_the_leaf_area_and_for_every_area_below_the_event_loop() -> None:
    raw = "\n".join(
        [
            f"{START};{EXECUTE};batch (iafactory/resolvers/loaders.py:69) 3",
            f"{START};{EXECUTE} 5",
            f"{START} 2",
        ]
    )

    total, own, inclusive, _ = profile.summarise(raw)

    assert total == 10
    assert own == {"our loaders/pagination (+ DataLoader)": 3, "graphql-core": 5, profile.EVENT_LOOP: 2}
    assert inclusive["graphql-core"] == 8, "the loader's samples ran under graphql-core's frames"
    assert "our other code (resolvers, types, context)" not in inclusive, "the process's start is not work"
