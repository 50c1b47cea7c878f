"""Serving: `serve`, `migrate`, `worker`, `schema`."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
from typing import TypeVar

import click

from iafactory.cli.common import database_url, fail, load_settings, main, migrate_database, with_connection
from iafactory.db import admin, migrate
from iafactory.settings import Settings

T = TypeVar("T")
DEMO_EMAIL = "admin@iafactory.demo"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=int,
    help="Processes. One serves the compiled hot reads best on 2 cores (PostgreSQL needs the"
    " other); add processes for resolver-heavy traffic on more cores.",
)
def serve(host: str, port: int, workers: int) -> None:
    """Apply pending migrations, then serve HTTP + WebSocket (GraphiQL at /graphql).

    Without DATABASE_URL it starts the embedded PostgreSQL of IAFACTORY_DATA_DIR, and stops
    it again on Ctrl-C (unless another command had started it).
    """
    import uvicorn

    from iafactory.logging import configure_logging

    settings = load_settings()
    _refuse_a_taken_port(host, port)  # before the embedded database: fail in one line, at once
    configure_logging(settings)
    dsn, embedded = database_url(settings, say=click.echo)
    click.echo("Applying database migrations")
    migrate_database(settings, dsn)
    _report_semantic(settings, dsn)
    if embedded:
        _announce_demo(settings, dsn)
    # Worker processes rebuild the app from the environment: hand them the resolved DSN, and
    # the address links in mails point to (CONTRACT.md: IAFACTORY_PUBLIC_URL's default).
    os.environ["DATABASE_URL"] = dsn
    if settings.public_url is None:
        os.environ["IAFACTORY_PUBLIC_URL"] = f"http://{host}:{port}"
    click.echo(f"IAFactory serving on http://{host}:{port}/graphql (GraphiQL in a browser); Ctrl-C stops")
    uvicorn.run(
        "iafactory.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        # Its lines were below that level anyway; off, uvicorn skips building them per request.
        # Each GraphQL operation logs its own line (schema/telemetry.py).
        access_log=False,
        log_config=None,  # uvicorn's records go through our root handler (iafactory/logging.py)
        ws="websockets-sansio",
        # The app believes X-Forwarded-* from IAFACTORY_TRUSTED_PROXIES only (app.py).
        proxy_headers=False,
        ws_max_size=settings.max_body_bytes,
    )


def _refuse_a_taken_port(host: str, port: int) -> None:
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        fail(f"cannot listen on {host}: {error.strerror}")
        raise  # unreachable
    with socket.socket(family, kind, protocol) as probe:
        # Like uvicorn: a port in TIME_WAIT is free; a live listener still makes bind fail.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            fail(f"cannot listen on {host}:{port}: {error.strerror} (choose another with --port)")


def _report_semantic(settings: Settings, dsn: str) -> None:
    """Creates the pgvector part when it can (iafactory/db/vector.py) and says what is missing."""
    from iafactory.db import vector

    status = vector.install(dsn)
    if not settings.semantic_search:
        click.echo("semantic search: off (IAFACTORY_SEMANTIC_SEARCH=false); lexical search only")
    else:
        click.echo(status.message(), err=not status.installed)


def _announce_demo(settings: Settings, dsn: str) -> None:
    credentials_file = settings.data_dir.resolve() / "demo-credentials.json"
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
    migrate_database(settings, dsn)
    click.echo(f"database at revision {migrate.current_revision(dsn)}")
    _report_semantic(settings, dsn)


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
    from iafactory.logging import configure_logging
    from iafactory.voice.runtime import run_worker_process

    settings = load_settings()
    configure_logging(settings)
    dsn, _ = database_url(settings)
    runtime = migrate_database(settings, dsn)
    slots = concurrency or max(1, settings.transcribe_workers)
    click.echo(f"IAFactory transcription worker: {slots} slot(s), model {settings.whisper_model}")
    asyncio.run(run_worker_process(settings, dsn=runtime, concurrency=slots))


@main.command()
def schema() -> None:
    """Print the GraphQL SDL."""
    from iafactory.schema.build import build_schema

    click.echo(build_schema(load_settings()).as_str())
