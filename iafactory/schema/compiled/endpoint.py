"""The view's fast path: a POSTed query with a cached plan, answered without Strawberry.

Same behaviour as the general path. Usually in ONE round trip (db/pipeline.py): the
transaction's opening (role, tenant, and the database's check of the caller) and the compiled
statement are sent together, and the tenant's budget is spent once they answered. Otherwise
(the tenant's rate not cached yet, a tenant refused a moment ago, IAFACTORY_PIPELINED_READS_POOL_SIZE=0)
in three, through db/scope.py: opening, budget spent exactly as OperationScope spends it,
statement, COMMIT. The statement's text is the response's `data`, spliced in without being
parsed.

`respond` answers None, and the view runs the general path, for anything else: no plan yet,
an unusual request body, a caller that is not a plain member of a tenant (no token, an
invalid or expired one, a super-admin, a role this path does not know, such as a support
session's), a variable or argument the binding refuses, a caller the database refuses,
a rate limit. The general path then answers with its own errors; the budget is never spent
twice for one request (context.BUDGET_SPENT).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from starlette.requests import Request
from starlette.responses import Response

from iafactory.auth.principal import Principal, Role
from iafactory.db.pipeline import PipelinedReads, PipelineFailed, ReadsUnavailable
from iafactory.db.scope import Isolation, Opening, TenantScope
from iafactory.governance.metrics import Metrics
from iafactory.protocol.negotiation import negotiate
from iafactory.schema.compiled.plans import Plan, PlanCache
from iafactory.schema.context import BUDGET_SPENT
from iafactory.schema.telemetry import report
from iafactory.services import Services
from iafactory.settings import Settings

log = structlog.get_logger("iafactory.compiled")

# An allow-list: a role added later (a support session, audited per operation) takes the
# general path until someone decides otherwise.
COMPILED_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MEMBER})
STREAMING = ("multipart/mixed", "text/event-stream")
# The opening's check refusing the caller (revoked, suspended): not the plan's fault.
CALLER_REFUSED = frozenset({"IA401", "IA423"})


def eligible(principal: Principal | None) -> bool:
    return (
        principal is not None
        and principal.tenant_id is not None
        and principal.role in COMPILED_ROLES
        and not principal.is_support
        and not principal.superadmin
        and principal.expires_at > datetime.now(UTC)
    )


class CompiledReads:
    def __init__(self, plans: PlanCache, settings: Settings, metrics: Metrics | None) -> None:
        self.plans = plans
        self.settings = settings
        self.metrics = metrics

    async def respond(self, request: Request) -> Response | None:
        """The response, or None: the general path must answer (the body stays readable)."""
        started = time.perf_counter()
        found = await self._plan(request)
        if found is None:
            return None
        plan, query, operation_name, variables = found
        services: Services = request.app.state.services
        try:
            principal = services.tokens.principal(request.headers.get("authorization"))
            if not eligible(principal):
                return None
            assert principal is not None
            values = plan.bind(variables, principal, max_page_size=self.settings.max_page_size)
            if plan.cost(variables) > self.settings.max_query_cost:
                return None  # the general path refuses it (QUERY_TOO_COMPLEX)
        except Exception:  # noqa: BLE001 - an invalid token, a refused argument: the general path says why
            return None
        answered = await self._execute(request, services, plan, values, principal, (query, operation_name))
        if answered is None:
            return None
        text, statements = answered
        if len(text) > self.settings.max_response_bytes:
            return None  # the general path decides, counting as IAFACTORY_MAX_RESPONSE_BYTES says
        body = b'{"data":' + text.encode()
        if self.settings.expose_sql_statement_count:
            body += b',"extensions":{"sqlStatements":%d}' % statements
        request.scope["principal"] = principal  # X-Tenant-Context (middleware.py)
        if self.metrics is not None:
            report(
                self.metrics,
                principal,
                operation_type="query",
                operation_name=plan.operation_name,
                seconds=time.perf_counter() - started,
                codes=[],
                path="compiled",
            )
        # The media type the general path would negotiate; a read that ran answers 200 in both.
        media = negotiate(request.headers.get("accept"))
        return Response(body + b"}", headers={"Content-Type": f"{media.value}; charset=utf-8"})

    async def _plan(self, request: Request) -> tuple[Plan, str, str | None, dict[str, Any]] | None:
        headers = request.headers
        if request.method != "POST" or not headers.get("content-type", "").startswith("application/json"):
            return None
        accept = headers.get("accept", "")
        if any(kind in accept for kind in STREAMING):
            return None
        try:
            data = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return None
        if type(data) is not dict or data.get("extensions") is not None:
            return None
        query, name, variables = data.get("query"), data.get("operationName"), data.get("variables")
        if type(query) is not str or (name is not None and type(name) is not str):
            return None
        if variables is not None and type(variables) is not dict:
            return None
        plan = self.plans.get(query, name)
        return None if plan is None else (plan, query, name, variables or {})

    async def _execute(
        self,
        request: Request,
        services: Services,
        plan: Plan,
        values: list[Any],
        principal: Principal,
        key: tuple[str, str | None],
    ) -> tuple[str, int] | None:
        """(the data's JSON text, round trips) or None. One transaction, opened as
        OperationScope opens it for a query: pipelined in one round trip when it can be,
        otherwise three."""
        assert principal.tenant_id is not None
        opening = Opening.for_principal(
            principal,
            request_id=request.scope.get("request_id", ""),
            statement_timeout_ms=self.settings.statement_timeout_ms,
            isolation=Isolation.REPEATABLE_READ,
        )
        sql, arguments = plan.statement(values)
        if services.reads is not None and services.rate_limits.may_spend_after(principal.tenant_id):
            return await self._pipelined(
                request, services, services.reads, opening, plan, (sql, arguments), key
            )
        scope = TenantScope(services.pool, opening)
        committed = False
        try:
            await scope.ensure_open()  # the database checks the caller: UNAUTHENTICATED, TENANT_SUSPENDED
            if await services.rate_limits.tenant(scope, principal.tenant_id) is not None:
                return None
            services.api_calls.count(principal.tenant_id)
            request.scope[BUDGET_SPENT] = True
            text: str = await scope.fetchval(sql, *arguments)
            committed = True
        except Exception as error:  # noqa: BLE001 - the general path answers, with its own errors
            if request.scope.get(BUDGET_SPENT):
                self._failed(error, plan, key)
            return None
        finally:
            try:
                await scope.close(commit=committed)
            except Exception as error:  # noqa: BLE001 - a failed COMMIT: the general path answers
                log.warning("compiled read commit failed", error=repr(error))
                committed = False
        if not committed:
            return None
        return text, scope.statement_count  # the log line's identity: telemetry.report binds it

    async def _pipelined(
        self,
        request: Request,
        services: Services,
        reads: PipelinedReads,
        opening: Opening,
        plan: Plan,
        statement: tuple[str, list[Any]],
        key: tuple[str, str | None],
    ) -> tuple[str, int] | None:
        """The opening, the caller's check and the read in one round trip; the budget is
        spent after it (ratelimit.may_spend_after), and a refusal discards the answer."""
        assert opening.tenant_id is not None
        try:
            value = await reads.read(opening, *statement)
        except ReadsUnavailable as error:
            log.warning("pipelined read unavailable", error=str(error))
            return None
        except PipelineFailed as error:  # a refused caller, a bad cursor...: nothing was spent
            if error.sqlstate not in CALLER_REFUSED:
                self._failed(error, plan, key)
            return None
        if await services.rate_limits.spend_after(opening.tenant_id) is not None:
            return None  # the general path answers RATE_LIMITED
        services.api_calls.count(opening.tenant_id)
        request.scope[BUDGET_SPENT] = True
        if value is None:  # the statement always answers one row; a plan that does not is dropped
            self.plans.forget(*key)
            return None
        return value.decode(), 1

    def _failed(self, error: BaseException, plan: Plan, key: tuple[str, str | None]) -> None:
        log.warning("compiled statement failed", operation_name=plan.operation_name, error=repr(error))
        if _compiler_bug(error):
            self.plans.forget(*key)


def _compiler_bug(error: BaseException) -> bool:
    """SQL the database refuses as written (not a timeout or a lost connection): the plan is
    dropped, so that one bad compilation costs one failed statement, not one per request."""
    for candidate in (error, error.__cause__):
        sqlstate = str(getattr(candidate, "sqlstate", "") or "")
        if sqlstate[:2] in ("21", "22", "42"):  # cardinality, data, syntax or access
            return True
    return False
