"""create_app(settings) -> Starlette: the routes, the ASGI middleware in order, and the
lifespan that builds the process's Services (iafactory/services.py: the pool, the LISTEN
connection, the transcription workers, the semantic-search indexer, the usage flusher)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from iafactory import __version__
from iafactory.auth.tokens import TokenService
from iafactory.db import migrate, roles
from iafactory.governance import exports
from iafactory.governance import metrics as governance_metrics
from iafactory.logging import configure_logging
from iafactory.middleware import BodyLimitMiddleware, RequestIdMiddleware
from iafactory.resolvers.system import database_ok
from iafactory.rest.routes import api_routes
from iafactory.schema.build import build_schema
from iafactory.schema.compiled.endpoint import CompiledReads
from iafactory.schema.compiled.plans import PlanCache
from iafactory.schema.view import GraphQLView
from iafactory.services import Services, running_services
from iafactory.settings import Settings
from iafactory.web.cors import CrossOriginMiddleware
from iafactory.web.pages import web_routes


def create_app(settings: Settings, *, database_url: str | None = None) -> Starlette:
    """The ASGI app. `database_url` overrides settings (the embedded server's DSN)."""
    configure_logging(settings)
    dsn = database_url or settings.database_url
    if not dsn:
        raise ValueError("no database: set DATABASE_URL or start the embedded PostgreSQL")
    # Requests never run as the DATABASE_URL login: as the powerless authenticator (db/roles.py).
    dsn = settings.runtime_database_url or roles.runtime_dsn(dsn, secret=settings.signing_secret())
    tokens = TokenService(
        secret=settings.signing_secret(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=settings.access_token_ttl,
    )
    metrics = governance_metrics.Metrics(settings)
    export_links = exports.ExportLinks(settings)
    head = migrate.head_revision()
    plans = PlanCache(settings.compiled_plan_cache_size) if settings.compiled_reads else None
    compiled = CompiledReads(plans, settings, metrics) if plans is not None else None
    schema = build_schema(settings, metrics, plans)
    graphql = GraphQLView(schema, settings, compiled)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with running_services(
            settings, tokens=tokens, metrics=metrics, export_links=export_links, dsn=dsn
        ) as services:
            app.state.services = services
            app.state.schema = schema  # the REST routes run their documents through it
            yield

    def services_of(request: Request) -> Services:
        services: Services = request.app.state.services
        return services

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    async def ready(request: Request) -> JSONResponse:
        services = services_of(request)
        database = await database_ok(services.pool)
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
                "voice": services.voice_available(),
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
                    metrics, governance_metrics.MetricsAccess(settings), lambda: app.state.services.pool
                ),
            ),
            Route(
                exports.PATH, exports.download_endpoint(export_links, tokens, lambda: app.state.services.pool)
            ),
            *web_routes(),
            *api_routes(),
        ],
        middleware=[
            *_proxy_headers(settings),
            Middleware(RequestIdMiddleware),
            Middleware(CrossOriginMiddleware, policy=settings.origin_policy),
            Middleware(
                BodyLimitMiddleware,
                max_body_bytes=settings.max_body_bytes,
                max_upload_bytes=settings.max_upload_bytes,
            ),
        ],
        lifespan=lifespan,
    )
    return app


def _proxy_headers(settings: Settings) -> list[Middleware]:
    """X-Forwarded-For / -Proto believed from IAFACTORY_TRUSTED_PROXIES only (uvicorn's own
    middleware, configured here; `serve` turns off uvicorn's default, which trusts loopback):
    the client address is what rate limits and /metrics access are keyed on."""
    proxies = [part.strip() for part in (settings.trusted_proxies or "").split(",") if part.strip()]
    return [Middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)] if proxies else []


def app_from_environment() -> Starlette:
    """uvicorn's factory for `iafactory serve` (each worker process builds its own app)."""
    return create_app(Settings())
