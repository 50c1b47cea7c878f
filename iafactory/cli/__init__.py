"""The `iafactory` command. Thin: each command calls into the modules that do the work.

The commands live by topic in this package (server, voice, operator); this module holds the
group and what they share: settings, the database URL (embedded server included), and
failures reported as one line on stderr.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import click
import sqlalchemy.exc
from pydantic import ValidationError

from iafactory.db import admin
from iafactory.errors import AppError
from iafactory.settings import Settings

T = TypeVar("T")
DEMO_EMAIL = "admin@iafactory.demo"


def fail(reason: str) -> None:
    click.echo(f"iafactory: {reason}", err=True)
    sys.exit(1)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        fail(f"invalid setting {'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
        raise  # unreachable


def database_url(settings: Settings) -> tuple[str, bool]:
    """The DSN to use, and whether it is the embedded server (started here if needed)."""
    if settings.database_url:
        return settings.database_url, False
    from iafactory.db.embedded import start_embedded

    return start_embedded(settings.data_dir.resolve()).dsn, True


def with_connection(dsn: str, action: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    async def run() -> T:
        connection = await asyncpg.connect(dsn)
        try:
            return await action(connection)
        finally:
            await connection.close()

    try:
        return asyncio.run(run())
    except (admin.AdminError, AppError) as error:
        fail(str(error))
        raise  # unreachable


class OneLineErrors(click.Group):
    """An unreachable or refusing database ends any command with the contract's one-line
    reason on stderr (exit 1), not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, sqlalchemy.exc.DBAPIError) as error:
            # The first line only: PostgreSQL's DETAIL may quote a whole row (a password hash).
            fail((str(error).strip().splitlines() or [type(error).__name__])[0])
            raise  # unreachable


@click.group(cls=OneLineErrors)
def main() -> None:
    """IAFactory: multi-tenant GraphQL platform for AI workloads."""


# Registers the commands on `main` (imported for that effect).
from iafactory.cli import knowledge as _knowledge  # noqa: E402,F401
from iafactory.cli import operator as _operator  # noqa: E402,F401
from iafactory.cli import server as _server  # noqa: E402,F401
from iafactory.cli import voice as _voice  # noqa: E402,F401

__all__ = ["database_url", "fail", "load_settings", "main", "with_connection"]
