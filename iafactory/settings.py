"""One validated settings object, read from the environment (and `.env`) once at start.

Every variable is documented in the contract's CONTRACT.md (kept beside the repository) and,
with what this project adds, in the README; the app factory takes a `Settings` instance, so
tests build their own instead of mutating the environment.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import secrets
import time
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from iafactory.auth.origins import OriginPolicy, parse_origins
from iafactory.protocol.persisted import TrustedDocuments

RATE_PATTERN = re.compile(r"^\s*\d+\s*/\s*(second|minute|hour)\s*$")


def default_data_dir() -> Path:
    """The user's data directory (~/.local/share/iafactory on Linux), whatever the current
    folder: every `iafactory` command finds the same embedded database and dev secret."""
    return platformdirs.user_data_path("iafactory", appauthor=False)


# Words of the secrets that examples and tutorials ship ("change-me", "your-256-bit-secret"),
# as words (a random key holds such letters only by chance, never between separators).
PLACEHOLDER = re.compile(
    r"(?<![a-z0-9])(change|changeme|secret|example|placeholder|default|your|password|replace|todo)(?![a-z0-9])"
)
MIN_SECRET_BITS = 128


def secret_weakness(secret: str | None) -> str | None:
    """Why a signing key is unfit for production, or None. Its strength is estimated from its
    own characters (length times their Shannon entropy): a random 32-byte key in hex or base64
    passes, a repeated or dictionary-like one does not."""
    if not secret:
        return "is required"
    if len(secret) < 32:
        return "must be at least 32 characters"
    if PLACEHOLDER.search(secret.lower()):
        return "looks like a placeholder"
    counts = Counter(secret)
    per_character = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    if per_character * len(secret) < MIN_SECRET_BITS:
        return "is not random enough"
    return None


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    data_dir: Path = Field(default_factory=default_data_dir, alias="IAFACTORY_DATA_DIR")
    env: Environment = Field(default=Environment.DEVELOPMENT, alias="IAFACTORY_ENV")

    jwt_secret: str | None = Field(default=None, alias="IAFACTORY_JWT_SECRET")
    jwt_issuer: str = Field(default="iafactory", alias="IAFACTORY_JWT_ISSUER")
    jwt_audience: str = Field(default="iafactory-api", alias="IAFACTORY_JWT_AUDIENCE")
    access_token_ttl: int = Field(default=1800, gt=0, alias="IAFACTORY_ACCESS_TOKEN_TTL")
    refresh_token_ttl: int = Field(default=2_592_000, gt=0, alias="IAFACTORY_REFRESH_TOKEN_TTL")

    max_upload_bytes: int = Field(default=26_214_400, gt=0, alias="IAFACTORY_MAX_UPLOAD_BYTES")
    max_document_bytes: int = Field(default=1_048_576, gt=0, alias="IAFACTORY_MAX_DOCUMENT_BYTES")
    whisper_model: str = Field(default="base", alias="IAFACTORY_WHISPER_MODEL")
    whisper_threads: int = Field(default=2, gt=0, alias="IAFACTORY_WHISPER_THREADS")
    transcribe_workers: int = Field(default=1, ge=0, alias="IAFACTORY_TRANSCRIBE_WORKERS")
    # A worker renews its lease every third of this; a job whose lease lapses (worker killed)
    # is re-queued, and FAILED once it has been tried transcribe_max_attempts times.
    transcribe_lease_seconds: float = Field(default=30.0, gt=0, alias="IAFACTORY_TRANSCRIBE_LEASE_SECONDS")
    transcribe_max_attempts: int = Field(default=3, ge=1, alias="IAFACTORY_TRANSCRIBE_MAX_ATTEMPTS")
    # Idle workers wake on pg_notify; this poll only covers a notification lost in a reconnect.
    transcribe_poll_seconds: float = Field(default=5.0, gt=0, alias="IAFACTORY_TRANSCRIBE_POLL_SECONDS")
    # On SIGTERM a running job may finish within this; after it, the job goes back to the queue.
    transcribe_shutdown_grace_seconds: float = Field(
        default=20.0, ge=0, alias="IAFACTORY_TRANSCRIBE_SHUTDOWN_GRACE_SECONDS"
    )
    # Niceness of the inference threads (Linux: per thread): requests are served first.
    transcribe_nice: int = Field(default=10, ge=0, le=19, alias="IAFACTORY_TRANSCRIBE_NICE")
    # LISTEN needs a session connection: behind PgBouncer in transaction mode, point this at
    # PostgreSQL itself (defaults to DATABASE_URL).
    listen_database_url: str | None = Field(default=None, alias="IAFACTORY_LISTEN_DATABASE_URL")
    # The server and workers connect as iafactory_authenticator (db/roles.py), its password
    # derived from the JWT secret; set this to provision that login yourself (PgBouncer).
    runtime_database_url: str | None = Field(default=None, alias="IAFACTORY_RUNTIME_DATABASE_URL")
    # Voice: the longest audio one job may hold, counted by decoding (never from the header).
    max_audio_seconds: float = Field(default=14_400.0, gt=0, alias="IAFACTORY_MAX_AUDIO_SECONDS")
    # Whisper windows decoded together (faster-whisper's BatchedInferencePipeline, every window
    # finished: voice/batched.py); 1: the sequential decoder, progress after every window.
    # 4 was ~1.1x faster than 1 on 2 CPU threads, same words (bench/voice_direct.py).
    whisper_batch_size: int = Field(default=4, ge=1, le=32, alias="IAFACTORY_WHISPER_BATCH_SIZE")

    # Semantic search (iafactory/knowledge/): the off switch; BLAS threads of the sentence
    # encoder (its library's default of 4 crawls on 2 cores); whether this process embeds
    # new passages (at least one process should).
    semantic_search: bool = Field(default=True, alias="IAFACTORY_SEMANTIC_SEARCH")
    embedding_threads: int = Field(default=1, ge=1, le=64, alias="IAFACTORY_EMBEDDING_THREADS")
    indexer: bool = Field(default=True, alias="IAFACTORY_INDEXER")
    indexer_poll_seconds: float = Field(default=5.0, gt=0, alias="IAFACTORY_INDEXER_POLL_SECONDS")

    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    login_rate_limit: str = Field(default="10/minute", alias="IAFACTORY_LOGIN_RATE_LIMIT")
    login_ip_rate_limit: str = Field(default="30/minute", alias="IAFACTORY_LOGIN_IP_RATE_LIMIT")
    register_rate_limit: str = Field(default="30/hour", alias="IAFACTORY_REGISTER_RATE_LIMIT")
    # Governance (iafactory/governance/). Plan limits are read from the database and cached
    # per process this long: an operator's change to a plan or a tenant takes effect within it.
    plan_cache_seconds: float = Field(default=30.0, ge=0, alias="IAFACTORY_PLAN_CACHE_SECONDS")
    # Namespace of the rate-limit keys in Redis (several deployments may share one Redis).
    rate_limit_prefix: str = Field(default="iafactory", alias="IAFACTORY_RATE_LIMIT_PREFIX")
    # API calls are counted in memory and added to the monthly usage records this often.
    usage_flush_seconds: float = Field(default=30.0, gt=0, alias="IAFACTORY_USAGE_FLUSH_SECONDS")
    # /metrics: a bearer token, and/or the client networks allowed without one (comma-separated
    # CIDRs). Unset networks: anyone in development without a token, loopback only otherwise.
    metrics_token: str | None = Field(default=None, alias="IAFACTORY_METRICS_TOKEN")
    metrics_networks: str | None = Field(default=None, alias="IAFACTORY_METRICS_NETWORKS")
    # Distinct tenant label values per process; later tenants are counted under "other".
    metrics_max_tenants: int = Field(default=50, ge=0, alias="IAFACTORY_METRICS_MAX_TENANTS")
    # Lifetime of the download link that requestTenantExport returns.
    export_link_ttl: int = Field(default=600, gt=0, alias="IAFACTORY_EXPORT_LINK_TTL")

    pool_min_size: int = Field(default=2, ge=1, alias="IAFACTORY_POOL_MIN_SIZE")
    pool_max_size: int = Field(default=10, ge=1, alias="IAFACTORY_POOL_MAX_SIZE")
    statement_timeout_ms: int = Field(default=15_000, ge=0, alias="IAFACTORY_STATEMENT_TIMEOUT_MS")
    # Backstop: PostgreSQL ends a pooled session left idle inside a transaction this long.
    idle_in_transaction_timeout_ms: int = Field(
        default=60_000, ge=0, alias="IAFACTORY_IDLE_IN_TRANSACTION_TIMEOUT_MS"
    )
    # asyncpg's RESET ALL etc. on release; off because identity is transaction-local (bench/).
    pool_reset: bool = Field(default=False, alias="IAFACTORY_POOL_RESET")
    # asyncpg's prepared-statement cache; set 0 behind PgBouncer in transaction mode.
    statement_cache_size: int = Field(default=256, ge=0, alias="IAFACTORY_STATEMENT_CACHE_SIZE")

    # Browser origins allowed to call /graphql (HTTP and WebSocket) and /api/* (iafactory/web/origins.py).
    cors_origins: str | None = Field(default=None, alias="IAFACTORY_CORS_ORIGINS")
    graphiql: bool | None = Field(default=None, alias="IAFACTORY_GRAPHIQL")
    introspection: bool | None = Field(default=None, alias="IAFACTORY_INTROSPECTION")
    legacy_graphql_ws: bool = Field(default=False, alias="IAFACTORY_LEGACY_GRAPHQL_WS")
    max_query_depth: int = Field(default=10, gt=0, alias="IAFACTORY_MAX_QUERY_DEPTH")
    max_aliases: int = Field(default=30, gt=0, alias="IAFACTORY_MAX_ALIASES")
    max_query_tokens: int = Field(default=2000, gt=0, alias="IAFACTORY_MAX_QUERY_TOKENS")
    max_subscriptions_per_connection: int = Field(default=20, gt=0, alias="IAFACTORY_MAX_SUBSCRIPTIONS")
    max_page_size: int = Field(default=100, gt=0, alias="IAFACTORY_MAX_PAGE_SIZE")
    # Automatic persisted queries: documents kept per process, all tenants together (LRU).
    apq_cache_size: int = Field(default=1000, gt=0, alias="IAFACTORY_APQ_CACHE_SIZE")
    # Comma-separated manifest files of the only documents that may run; `console` names the
    # web console's own manifest (iafactory/web/trusted-documents.json). Unset: any document.
    trusted_documents: str | None = Field(default=None, alias="IAFACTORY_TRUSTED_DOCUMENTS")
    max_query_cost: int = Field(default=5000, gt=0, alias="IAFACTORY_MAX_QUERY_COST")
    # The cost limit bounds the number of fields; this bounds the text they carry (documents
    # of up to IAFACTORY_MAX_DOCUMENT_BYTES each): resolved strings per operation, in bytes.
    max_response_bytes: int = Field(default=33_554_432, gt=0, alias="IAFACTORY_MAX_RESPONSE_BYTES")
    max_body_bytes: int = Field(default=1_048_576, gt=0, alias="IAFACTORY_MAX_BODY_BYTES")
    # Addresses/CIDRs of the reverse proxies whose X-Forwarded-For / -Proto are believed.
    trusted_proxies: str | None = Field(default=None, alias="IAFACTORY_TRUSTED_PROXIES")
    # Diagnostics: `extensions.sqlStatements` on each response (N+1 tests, profiling).
    expose_sql_statement_count: bool = Field(default=False, alias="IAFACTORY_EXPOSE_SQL_STATEMENT_COUNT")
    # Hot reads answered by one compiled SQL statement (iafactory/schema/compiled/); off:
    # every operation takes the per-field resolvers (tests compare the two).
    compiled_reads: bool = Field(default=True, alias="IAFACTORY_COMPILED_READS")
    compiled_plan_cache_size: int = Field(default=512, gt=0, alias="IAFACTORY_COMPILED_PLAN_CACHE_SIZE")
    # A compiled read sent with its transaction's opening in ONE round trip (db/pipeline.py),
    # over a pool of its own this size (on top of IAFACTORY_POOL_MAX_SIZE); 0: three round
    # trips through the main pool.
    pipelined_reads_pool_size: int = Field(default=8, ge=0, alias="IAFACTORY_PIPELINED_READS_POOL_SIZE")

    # The tenant lifecycle (invitations, password resets). Without SMTP, links are logged.
    direct_member_add: bool = Field(default=True, alias="IAFACTORY_DIRECT_MEMBER_ADD")
    smtp_url: str | None = Field(default=None, alias="IAFACTORY_SMTP_URL")
    mail_from: str = Field(default="IAFactory <no-reply@localhost>", alias="IAFACTORY_MAIL_FROM")
    # Base of the links in mails and logs; `serve` defaults it to its own http://HOST:PORT.
    public_url: str | None = Field(default=None, alias="IAFACTORY_PUBLIC_URL")
    invitation_ttl: int = Field(default=7 * 24 * 3600, gt=0, alias="IAFACTORY_INVITATION_TTL")
    password_reset_ttl: int = Field(default=3600, gt=0, alias="IAFACTORY_PASSWORD_RESET_TTL")

    log_level: str = Field(default="INFO", alias="IAFACTORY_LOG_LEVEL")
    # Unset: JSON lines unless stderr is a terminal (then structlog's console renderer).
    log_json: bool | None = Field(default=None, alias="IAFACTORY_LOG_JSON")
    demo_password: str | None = Field(default=None, alias="IAFACTORY_DEMO_PASSWORD")

    @field_validator("data_dir")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("login_rate_limit", "login_ip_rate_limit", "register_rate_limit")
    @classmethod
    def _rate_is_parseable(cls, value: str) -> str:
        if not RATE_PATTERN.match(value):
            raise ValueError("expected N/second, N/minute or N/hour")
        return value.replace(" ", "")

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_parseable(cls, value: str | None) -> str | None:
        if value is not None:
            parse_origins(value)  # refuses '*' and anything that is not scheme://host[:port]
        return value

    @field_validator("trusted_documents")
    @classmethod
    def _manifests_are_readable(cls, value: str | None) -> str | None:
        if value is not None:
            TrustedDocuments.load(value)  # ValueError names the file that is missing or malformed
        return value

    @field_validator("metrics_networks", "trusted_proxies")
    @classmethod
    def _networks_are_parseable(cls, value: str | None) -> str | None:
        for part in (value or "").split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)  # ValueError names the bad one
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_is_smtp(cls, value: str | None) -> str | None:
        if value and urlsplit(value).scheme not in ("smtp", "smtps"):
            raise ValueError("expected smtp://user:pass@host:port or smtps://...")
        return value or None

    @field_validator("public_url")
    @classmethod
    def _public_url_is_http(cls, value: str | None) -> str | None:
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/") if value else None

    @property
    def public_base_url(self) -> str:
        """Where users reach this server (links in invitations and password resets)."""
        return self.public_url or "http://127.0.0.1:8000"

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Self:
        if self.is_production:
            weakness = secret_weakness(self.jwt_secret)
            if weakness:
                raise ValueError(
                    f"IAFACTORY_JWT_SECRET {weakness} in production; generate one with"
                    " `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
                )
            if not self.database_url:
                raise ValueError("DATABASE_URL is required in production")
        return self

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else not self.is_production

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_production

    @property
    def origin_policy(self) -> OriginPolicy:
        return OriginPolicy.from_setting(self.cors_origins, production=self.is_production)

    def signing_secret(self) -> str:
        """The HS256 key: the configured one, else a dev secret generated once in the data dir."""
        if self.jwt_secret:
            return self.jwt_secret
        path = self.data_dir / "jwt-secret"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: when several processes start at once, exactly one writes the secret.
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        secret = ""
        for _ in range(50):  # another process may be between create and write
            secret = path.read_text().strip()
            if secret:
                break
            time.sleep(0.02)
        self.jwt_secret = secret
        return secret
