"""The `iafactory` command. Thin: each command calls into the modules that do the work."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import asyncpg
import click
from pydantic import ValidationError

from iafactory.db import admin, migrate
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


@click.group()
def main() -> None:
    """IAFactory: multi-tenant GraphQL platform for AI workloads."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Apply pending migrations, then serve HTTP + WebSocket (GraphiQL at /graphql)."""
    import uvicorn

    settings = load_settings()
    dsn, embedded = database_url(settings)
    migrate.upgrade(dsn)
    if embedded:
        _announce_demo(settings, dsn)
    # Worker processes rebuild the app from the environment: hand them the resolved DSN.
    os.environ["DATABASE_URL"] = dsn
    click.echo(f"IAFactory serving on http://{host}:{port}/graphql (GraphiQL in a browser)")
    uvicorn.run(
        "iafactory.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        ws="websockets-sansio",
    )


def _announce_demo(settings: Settings, dsn: str) -> None:
    credentials_file = settings.data_dir / "demo-credentials.json"
    password = settings.demo_password or secrets.token_urlsafe(12)
    created = with_connection(dsn, lambda c: admin.seed_demo(c, email=DEMO_EMAIL, password=password))
    if created:
        credentials_file.write_text(json.dumps({"email": DEMO_EMAIL, "password": password}))
        credentials_file.chmod(0o600)
    if credentials_file.exists():
        saved = json.loads(credentials_file.read_text())
        click.echo(
            "Demo tenant 'IAFactory Demo' (iafactory-demo): "
            f"email {saved['email']}  password {saved['password']}"
        )


@main.command("migrate")
def migrate_command() -> None:
    """Apply pending migrations and exit (a second run is a no-op)."""
    settings = load_settings()
    dsn, _ = database_url(settings)
    migrate.upgrade(dsn)
    click.echo(f"database at revision {migrate.current_revision(dsn)}")


@main.command()
def schema() -> None:
    """Print the GraphQL SDL."""
    from iafactory.schema.build import build_schema

    click.echo(build_schema(load_settings()).as_str())


@main.group()
def superadmin() -> None:
    """Super-admin users."""


@superadmin.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
def superadmin_create(email: str, password: str) -> None:
    """Create (or promote) a super-admin user."""
    dsn, _ = database_url(load_settings())
    user_id = with_connection(dsn, lambda c: admin.upsert_superadmin(c, email=email, password=password))
    click.echo(f"super-admin {email.strip().lower()} ({user_id})")


@main.group()
def tenant() -> None:
    """Tenant administration."""


@tenant.command("list")
def tenant_list() -> None:
    dsn, _ = database_url(load_settings())
    for t in with_connection(dsn, admin.list_tenants):
        click.echo(f"{t.slug}\t{t.name}\t{t.region}\t{t.plan}\t{t.status}\t{t.members} members\t{t.id}")


@tenant.command("create")
@click.option("--name", required=True)
@click.option("--slug", required=True)
@click.option("--region", default="DZ", show_default=True)
@click.option("--plan", type=click.Choice(["FREE", "PRO", "ENTERPRISE"]), default="FREE", show_default=True)
@click.option("--owner-email", default=None)
def tenant_create(name: str, slug: str, region: str, plan: str, owner_email: str | None) -> None:
    dsn, _ = database_url(load_settings())
    tenant_id = with_connection(
        dsn,
        lambda c: admin.create_tenant(
            c, name=name, slug=slug, region=region, plan=plan, owner_email=owner_email
        ),
    )
    click.echo(f"{slug}\t{tenant_id}")


@tenant.command("suspend")
@click.argument("slug")
def tenant_suspend(slug: str) -> None:
    dsn, _ = database_url(load_settings())
    with_connection(dsn, lambda c: admin.set_tenant_status(c, slug=slug, status="SUSPENDED"))
    click.echo(f"{slug} suspended")


@tenant.command("resume")
@click.argument("slug")
def tenant_resume(slug: str) -> None:
    dsn, _ = database_url(load_settings())
    with_connection(dsn, lambda c: admin.set_tenant_status(c, slug=slug, status="ACTIVE"))
    click.echo(f"{slug} resumed")


def run() -> None:  # pragma: no cover - console entry point alias
    main()


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["Path", "main"]
