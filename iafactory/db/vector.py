"""The optional pgvector part of the schema: installed by `iafactory migrate` (and `serve`)
whenever the extension is available, reported in one line when it is not.

Semantic search needs the PostgreSQL extension pgvector (>= 0.5.0; >= 0.8.0 for iterative
index scans). Everything else, lexical search included, works without it.

    >>> status = install("postgresql://postgres@127.0.0.1/iafactory")
    >>> status.installed, status.reason
    (False, 'the PostgreSQL extension pgvector (vector) is not installed on the database server')
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

# Same key as migrations/env.py: never runs beside a migration.
MIGRATION_LOCK_KEY = 7_201_914_520_001
HOW_TO_ENABLE = (
    "install pgvector on the PostgreSQL server (Debian/Ubuntu with the PGDG repository:"
    " apt install postgresql-<major>-pgvector; from source: .ci/build-pgvector; managed"
    " services: enable the `vector` extension), then run `iafactory migrate` again."
    " The embedded PostgreSQL (no DATABASE_URL) ships it."
)


# The server has pgvector but the login may not create it in this database (it is not a
# trusted extension): someone who may does it once.
HOW_TO_CREATE = (
    "have a superuser (or the managed service's admin role) run `CREATE EXTENSION vector;` in"
    " this database, or run `iafactory migrate` once with such a login in DATABASE_URL, then"
    " run `iafactory migrate` again."
)
HOW_TO_UPGRADE = "upgrade pgvector on the PostgreSQL server, then run `iafactory migrate` again."


@dataclass(frozen=True, slots=True)
class VectorStatus:
    installed: bool
    reason: str  # 'installed', or what is missing

    def message(self) -> str:
        if self.installed:
            return "semantic search: on (pgvector)"
        if self.reason.startswith("the login role may not"):
            how = HOW_TO_CREATE
        elif "too old" in self.reason:
            how = HOW_TO_UPGRADE
        elif "not migrated" in self.reason:
            how = "run `iafactory migrate`."
        else:
            how = HOW_TO_ENABLE
        return f"semantic search: OFF, {self.reason}. Lexical search works. To enable it, {how}"


def _psycopg_url(database_url: str) -> str:
    scheme, _, rest = database_url.partition("://")
    return f"postgresql://{rest}" if scheme in {"postgres", "postgresql"} else database_url


def install(database_url: str) -> VectorStatus:
    """Creates the pgvector part if it is missing and can be made; idempotent."""
    with psycopg.connect(_psycopg_url(database_url), autocommit=False) as connection:
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
        has_function = connection.execute(
            "SELECT to_regprocedure('ddl.install_semantic_search()') IS NOT NULL"
        ).fetchone()
        if not has_function or not has_function[0]:
            return VectorStatus(False, "the database is not migrated (0008_semantic)")
        row = connection.execute("SELECT ddl.install_semantic_search()").fetchone()
        connection.commit()
    reason = str(row[0]) if row else "unknown"
    return VectorStatus(reason == "installed", reason)
