"""The bench's databases: a scratch database migrated by the project's own migrations, and a
copy of it with row-level security switched off (to measure what RLS costs).

The scratch-database helper is imported here and nowhere else in the bench.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg

from tests.support.database import cluster, scratch_database

__all__ = ["cluster", "copy_without_rls", "database_name", "scratch_database"]


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


@contextmanager
def copy_without_rls(url: str) -> Iterator[str]:
    """A copy of the database at `url` (nobody may be connected to it) whose tables have row-level
    security disabled and not forced. Same rows, same grants, same queries: only the policies go."""
    source = database_name(url)
    name = f"{source}_norls_{secrets.token_hex(2)}"
    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    copy = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    try:
        with psycopg.connect(copy, autocommit=True) as connection:
            tables = connection.execute(
                "SELECT c.oid::regclass::text FROM pg_class c"
                " WHERE c.relkind = 'r' AND (c.relrowsecurity OR c.relforcerowsecurity)"
            ).fetchall()
            for (table,) in tables:
                connection.execute(
                    f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY"
                )
        yield copy
    finally:
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
