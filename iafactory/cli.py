"""The `iafactory` command. Thin: each command calls into the modules that do the work."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import click
import sqlalchemy.exc
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
    from iafactory.logging import configure_logging
    from iafactory.voice.worker import run_worker_process

    settings = load_settings()
    configure_logging(settings)
    dsn, _ = database_url(settings)
    migrate.upgrade(dsn)
    slots = concurrency or max(1, settings.transcribe_workers)
    click.echo(f"IAFactory transcription worker: {slots} slot(s), model {settings.whisper_model}")
    asyncio.run(run_worker_process(settings, dsn=dsn, concurrency=slots))


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--language", default=None, help="Language code (en, fr...); detected when omitted.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "srt", "vtt"]),
    default="text",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the result here instead of stdout.")
@click.option("--url", envvar="IAFACTORY_URL", default="http://127.0.0.1:8000/graphql", show_default=True)
@click.option("--token", envvar="IAFACTORY_TOKEN", default=None, help="Access token [env: IAFACTORY_TOKEN].")
@click.option("--email", envvar="IAFACTORY_EMAIL", default=None, help="Sign in with this instead of --token.")
@click.option("--password", envvar="IAFACTORY_PASSWORD", default=None)
@click.option("--project", "project_id", default=None, help="Project id to file the transcription under.")
@click.option("--add-to-knowledge-base", is_flag=True, help="Store the text as a document when done.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def transcribe(
    file: Path,
    language: str | None,
    output_format: str,
    output: Path | None,
    url: str,
    token: str | None,
    email: str | None,
    password: str | None,
    project_id: str | None,
    add_to_knowledge_base: bool,
    quiet: bool,
) -> None:
    """Transcribe FILE through the API, with a live progress bar; print the text or SRT/VTT."""
    from iafactory.voice.client import ClientError, run

    try:
        run(
            file,
            url=url,
            token=token,
            email=email,
            password=password,
            language=language,
            project_id=project_id,
            add_to_knowledge_base=add_to_knowledge_base,
            output_format=output_format,
            output=output,
            quiet=quiet,
        )
    except ClientError as error:
        fail(str(error))


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


def _operate(dsn: str, action: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """with_connection, for the governance commands: their refusals are one line too."""
    from iafactory.governance.portability import PortabilityError

    try:
        return with_connection(dsn, action)
    except PortabilityError as error:
        fail(str(error))
        raise  # unreachable


@tenant.command("export")
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write [default: stdout].")
@click.option("--no-audio", is_flag=True, help="Leave the audio files out (transcriptions keep their text).")
@click.option("--with-password-hashes", is_flag=True,
              help="Include members' password hashes, so they keep their passwords in another database"
                   " (the file is then a secret).")
def tenant_export(slug: str, output: Path | None, no_audio: bool, with_password_hashes: bool) -> None:
    """Write the tenant's complete data as one file (versioned JSON lines:
    iafactory/governance/export_format.md)."""
    from iafactory.governance import operations

    dsn, _ = database_url(load_settings())

    def run_export(out: Any) -> dict[str, int]:
        return _operate(dsn, lambda c: operations.export_to(
            c, slug, out, audio=not no_audio, password_hashes=with_password_hashes))

    if output is None or str(output) == "-":
        rows = run_export(sys.stdout.buffer)
        sys.stdout.buffer.flush()
    else:
        # Written beside, then renamed: a failed export never leaves a plausible-looking file.
        partial = output.with_name(output.name + ".partial")
        try:
            with os.fdopen(os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600), "wb") as out:
                rows = run_export(out)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    summary = ", ".join(f"{name} {count}" for name, count in rows.items() if count)
    click.echo(f"exported {slug}: {summary}" + (f" -> {output}" if output else ""), err=True)


@tenant.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--slug", default=None, help="Restore under this slug (when the exported one is taken here).")
def tenant_import(file: Path, slug: str | None) -> None:
    """Restore a tenant from an export FILE ('-': stdin) into a database without it (same ids)."""
    from iafactory.governance import operations

    dsn, _ = database_url(load_settings())
    source = sys.stdin.buffer if str(file) == "-" else file.open("rb")
    with source:
        report = _operate(dsn, lambda c: operations.import_from(c, source, slug=slug))
    click.echo(f"imported {report.slug} ({report.tenant_id}): {report.users_created} user(s) created")
    if report.users_without_password:
        click.echo(
            f"note: {report.users_without_password} new user(s) have no password (the export had no"
            " hashes: export with --with-password-hashes to keep them)",
            err=True,
        )


@tenant.command("delete")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Confirm: every row of the tenant is erased, in one transaction.")
@click.option("--erase-orphan-users", is_flag=True,
              help="Also delete the members left without any tenant (their accounts and personal data).")
def tenant_delete(slug: str, yes: bool, erase_orphan_users: bool) -> None:
    """Erase the tenant and every row of its data (export it first if it may be needed)."""
    from iafactory.governance import operations

    if not yes:
        fail(f"refusing to erase {slug} without --yes"
             f" (keep a copy first: iafactory tenant export {slug} -o FILE)")
    dsn, _ = database_url(load_settings())
    deleted = _operate(dsn, lambda c: operations.delete(c, slug, erase_orphan_users=erase_orphan_users))
    summary = ", ".join(f"{name} {count}" for name, count in deleted.items() if count)
    click.echo(f"erased {slug}: {summary}")


@tenant.command("quota")
@click.argument("slug")
@click.argument("assignments", nargs=-1, metavar="[QUOTA=N|unlimited|plan]...")
def tenant_quota(slug: str, assignments: tuple[str, ...]) -> None:
    """Show the tenant's limits and usage; QUOTA=VALUE sets an operator's override of its plan
    (plan: removes it). Quotas: requests_per_minute, max_projects, max_storage_bytes,
    max_audio_seconds_per_month."""
    from iafactory.governance import operations

    dsn, _ = database_url(load_settings())
    result = _operate(dsn, lambda c: operations.quota(c, slug, list(assignments)))
    limits, usage = result["limits"], result["usage"]
    used = {"max_projects": usage["projects"], "max_storage_bytes": usage["storage_bytes"],
            "max_audio_seconds_per_month": usage["audio_seconds_this_month"]}
    click.echo(f"{slug}: plan {limits['plan']}")
    for name in operations.QUOTAS:
        value = "unlimited" if limits[name] is None else limits[name]
        source = "override" if name in result["overridden"] else "plan"
        click.echo(f"  {name}\t{value}\t({source})" + (f"\tused {used[name]}" if name in used else ""))


@main.group()
def billing() -> None:
    """Monthly usage records per tenant (the raw material of invoices)."""


@billing.command("usage")
@click.option("--month", default=None, help="YYYY-MM (UTC) [default: the current month, brought up to date].")
@click.option("--tenant", "slug", default=None, help="One tenant's record only.")
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
def billing_usage(month: str | None, slug: str | None, output_format: str) -> None:
    """API calls, audio seconds and peak storage of each tenant in a month."""
    from iafactory.governance import billing as billing_records
    from iafactory.governance.portability import PortabilityError

    try:
        period = billing_records.parse_month(month)
    except PortabilityError as error:
        fail(str(error))
        raise
    dsn, _ = database_url(load_settings())
    records = _operate(dsn, lambda c: billing_records.usage_records(c, period=period, slug=slug))
    fields = ("slug", "plan", "period", "api_calls", "audio_seconds", "storage_peak_bytes", "tenant_id")
    rows = [{f: getattr(r, f) for f in fields} for r in records]
    if output_format == "json":
        click.echo(json.dumps(rows, default=str, indent=2))
    else:
        separator = "," if output_format == "csv" else "\t"
        click.echo(separator.join(fields))
        for row in rows:
            click.echo(separator.join(str(row[f]) for f in fields))


def run() -> None:  # pragma: no cover - console entry point alias
    main()


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["Path", "main"]
