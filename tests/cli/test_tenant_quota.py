"""`iafactory tenant quota SLUG`: each limit in human units, with who set it and the usage."""

from __future__ import annotations

import uuid

from tests.helpers import cli_inline


def test_tenant_quota_prints_human_units_and_who_set_each_limit(database_url: str) -> None:
    slug = f"quota-{uuid.uuid4().hex[:8]}"
    made = cli_inline(
        *("tenant", "create", "--name", "Q", "--slug", slug, "--plan", "PRO"), database_url=database_url
    )
    assert made.exit_code == 0, made.output
    done = cli_inline("tenant", "quota", slug, "max_projects=2", database_url=database_url)
    assert done.exit_code == 0, done.output
    lines = [line.split() for line in done.stdout.splitlines()]
    assert lines[0] == [f"{slug}:", "plan", "PRO"]
    assert lines[1] == ["QUOTA", "LIMIT", "SET", "BY", "USED"], "a header row"
    rows = {line[0]: " ".join(line[1:]) for line in lines[2:]}
    assert rows == {
        "requests_per_minute": "1200/minute plan PRO",
        "max_projects": "2 operator override 0",
        "max_storage_bytes": "10 GiB plan PRO 0 bytes",
        "max_audio_seconds_per_month": "20 hours plan PRO 0 seconds",
    }
