"""create_app(settings) -> Starlette. The lifespan owns the pool, the process's one LISTEN
connection, the in-process transcription workers and the usage-record flusher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from iafactory import __version__
from iafactory.auth.tokens import TokenService
from iafactory.db import migrate
from iafactory.db.pool import create_pool
from iafactory.governance import exports
from iafactory.governance import metrics as governance_metrics
from iafactory.governance.middleware import RateLimitMiddleware
from iafactory.governance.runtime import governance_of
from iafactory.governance.telemetry import OperationTelemetry
from iafactory.logging import configure_logging
from iafactory.middleware import AuthenticationMiddleware, RequestIdMiddleware, UploadGuardMiddleware
from iafactory.resolvers.context import Services
from iafactory.resolvers.system import database_ok, voice_ok
from iafactory.schema.build import build_schema
from iafactory.schema.view import GraphQLView
from iafactory.settings import Settings
from iafactory.voice.models import model_available
from iafactory.voice.runtime import VoiceRuntime


def create_app(settings: Settings, *, database_url: str | None = None) -> Starlette:
    """The ASGI app. `database_url` overrides settings (the embedded server's DSN)."""
    configure_logging(settings)
    dsn = database_url or settings.database_url
    if not dsn:
        raise ValueError("no database: set DATABASE_URL or start the embedded PostgreSQL")
    tokens = TokenService(
        secret=settings.signing_secret(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=settings.access_token_ttl,
    )
    services = Services(settings, tokens)
    services.extras["voice_available"] = lambda: model_available(settings.whisper_model, settings.data_dir)
    head = migrate.head_revision()
    governance = governance_of(services)
    governance_metrics.activate(governance.metrics)
    schema = build_schema(settings)
    # Outermost extension: times each operation and sees its errors with their codes.
    schema.extensions = (lambda: OperationTelemetry(governance.metrics), *schema.extensions)
    graphql = GraphQLView(schema, services)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services.pool = await create_pool(
            dsn,
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            statement_cache_size=settings.statement_cache_size,
            reset=settings.pool_reset,
        )
        # One LISTEN connection for the process, and the in-process transcription workers.
        voice = await VoiceRuntime.start(
            settings,
            dsn=dsn,
            pool=services.pool,
            concurrency=settings.transcribe_workers,
            on_completed=governance_metrics.record_transcription,
        )
        services.extras["pubsub"] = voice.pubsub
        governance.start()  # flushes API-call counts to the monthly usage records
        try:
            yield
        finally:
            await governance.stop()
            await voice.stop()  # running jobs finish or go back to the queue (SIGTERM)
            await services.pool.close()
            services.pool = None

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    async def ready(_: Request) -> JSONResponse:
        database = await database_ok(services)
        at_head = False
        if database:
            async with services.pool.acquire() as connection:
                current = await connection.fetchval("SELECT version_num FROM alembic_version")
            at_head = current == head
        ok = database and at_head
        return JSONResponse(
            {
                "status": "ok" if ok else "unavailable",
                "database": database,
                "migrations": at_head,
                "voice": voice_ok(services),
            },
            status_code=200 if ok else 503,
        )

    app = Starlette(
        routes=[
            Route("/health", health),
            Route("/health/ready", ready),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route(
                "/metrics",
                governance_metrics.metrics_endpoint(
                    governance.metrics, governance_metrics.MetricsAccess(settings), lambda: services.pool
                ),
            ),
            Route(exports.PATH, exports.download_endpoint(governance.export_links, lambda: services.pool)),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(UploadGuardMiddleware, max_upload_bytes=settings.max_upload_bytes),
            Middleware(AuthenticationMiddleware, tokens=lambda: tokens),
            Middleware(RateLimitMiddleware, governance=lambda: governance, tokens=lambda: tokens),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app


def app_from_environment() -> Starlette:
    """uvicorn's factory for `iafactory serve` (each worker process builds its own app)."""
    return create_app(Settings())
