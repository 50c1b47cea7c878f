"""The `iafactory` group and what its commands share: settings, the database URL (embedded
server included), and failures reported as one line on stderr."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import click
import sqlalchemy.exc
from pydantic import ValidationError

from iafactory.db import admin, migrate, roles
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


def database_url(settings: Settings, *, say: Callable[[str], None] | None = None) -> tuple[str, bool]:
    """The DSN to use, and whether it is the embedded server.

    Without DATABASE_URL, the embedded server of IAFACTORY_DATA_DIR: reused when it runs
    already (another command started it), else started here and stopped when this command
    ends, Ctrl-C included. `say` is told what is being done (the first start takes a while).
    """
    if settings.database_url:
        return settings.database_url, False
    from iafactory.db.embedded import is_initialised, start_embedded, stop_embedded

    data_dir = settings.data_dir.resolve()
    if say is not None:
        first = "" if is_initialised(data_dir) else " (first run: creating the database cluster)"
        say(f"Starting the embedded PostgreSQL in {data_dir / 'pg'}{first}")
    server = start_embedded(data_dir)
    context = click.get_current_context(silent=True)
    if server.started and context is not None:
        context.call_on_close(lambda: stop_embedded(data_dir))
    return server.dsn, True


def migrate_database(settings: Settings, dsn: str) -> str:
    """Pending migrations, then the runtime login's password (db/roles.py); returns the DSN
    the server and workers (transcription, indexing) connect with."""
    migrate.upgrade(dsn)
    if settings.runtime_database_url:
        return settings.runtime_database_url
    return asyncio.run(roles.ensure_authenticator_password(dsn, secret=settings.signing_secret()))


def fail_if_not_migrated(error: Exception) -> None:
    """A database `migrate` never ran on lacks the roles it creates first."""
    if 'role "iafactory_' in str(error) and "does not exist" in str(error):
        fail("The database is not migrated yet: run `iafactory migrate` first.")


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
        fail_if_not_migrated(error)
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
            fail_if_not_migrated(error)
            fail((str(error).strip().splitlines() or [type(error).__name__])[0])
            raise  # unreachable


@click.group(cls=OneLineErrors)
def main() -> None:
    """IAFactory: multi-tenant GraphQL platform for AI workloads."""
