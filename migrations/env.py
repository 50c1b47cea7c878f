"""Alembic environment: plain SQL revisions, applied in one transaction under one lock.

The advisory lock lets several `iafactory serve` processes start at once against one
database: the first applies the pending revisions, the others wait and find nothing to do.
Migrations use psycopg (synchronous) while requests use asyncpg: a revision's SQL may hold
many statements, which asyncpg's prepared statements cannot run.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

MIGRATION_LOCK_KEY = 7_201_914_520_001


def main() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("sqlalchemy.url is not configured")
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            context.run_migrations()
    engine.dispose()


main()
