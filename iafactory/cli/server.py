"""Serving: `serve`, `migrate`, `worker`, `schema`."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from typing import TypeVar

import click

from iafactory.cli import database_url, load_settings, main, with_connection
from iafactory.db import admin, migrate
from iafactory.settings import Settings

T = TypeVar("T")
DEMO_EMAIL = "admin@iafactory.demo"


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
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="Jobs run at once [default: IAFACTORY_TRANSCRIBE_WORKERS, at least 1].",
)
def worker(concurrency: int | None) -> None:
    """Run transcription workers only (no HTTP); several may run against one database.

    SIGTERM lets running jobs finish (IAFACTORY_TRANSCRIBE_SHUTDOWN_GRACE_SECONDS), then
    hands the rest back to the queue.
    """
    from iafactory.governance.metrics import record_transcription
    from iafactory.logging import configure_logging
    from iafactory.voice.runtime import run_worker_process

    settings = load_settings()
    configure_logging(settings)
    dsn, _ = database_url(settings)
    migrate.upgrade(dsn)
    slots = concurrency or max(1, settings.transcribe_workers)
    click.echo(f"IAFactory transcription worker: {slots} slot(s), model {settings.whisper_model}")
    asyncio.run(run_worker_process(settings, dsn=dsn, concurrency=slots, on_completed=record_transcription))


@main.command()
def schema() -> None:
    """Print the GraphQL SDL."""
    from iafactory.schema.build import build_schema

    click.echo(build_schema(load_settings()).as_str())
