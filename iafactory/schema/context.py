"""The typed context resolvers receive (`Info`), and the extension that scopes it.

`RequestContext` is built once per HTTP request or per WebSocket connection by the view,
from the verified token alone (no database work: it has no teardown, and on a WebSocket it
lives as long as the socket). `OperationContext` is built by the `OperationScope` extension
for each query, mutation or subscription and holds what must not outlive it: the
tenant-bound transaction and the dataloaders.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import strawberry
from graphql import FieldNode, GraphQLError, OperationDefinitionNode
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from iafactory.auth.principal import Principal
from iafactory.db.database import Database
from iafactory.db.queries import support as support_queries
from iafactory.db.scope import DbRole, Isolation, Opening, ShortTransactions, TenantScope, transaction
from iafactory.errors import AppError, Forbidden, RateLimited, TenantRequired, Unauthenticated
from iafactory.schema.limits import TextBudget
from iafactory.schema.loaders import Loaders
from iafactory.services import Services
from iafactory.settings import Settings

# Set in the ASGI scope by the compiled read path when it spent this request's budget and
# then handed the request to the general path (its statement failed): not spent twice.
BUDGET_SPENT = "iafactory.budget_spent"


@dataclass(slots=True)
class RequestContext:
    services: Services
    request_id: str
    client_ip: str
    principal: Principal | None = None
    # A token was sent but is invalid: raised when a field needs the caller, so that
    # login/register still work with a stale token in the client's headers.
    auth_error: AppError | None = None
    response: Response | None = None  # HTTP only: lets a resolver set a status or header
    connection_params: dict[str, Any] | None = None  # WebSocket only: connection_init payload
    budget_spent: bool = False  # BUDGET_SPENT


class OperationContext:
    """One operation's view of the world: its caller, its transaction (a query or mutation)
    or short transactions (a subscription, which must never hold one open), its loaders."""

    def __init__(self, request: RequestContext, *, subscription: bool, query: bool) -> None:
        self.request = request
        self.services = request.services
        self.settings: Settings = request.services.settings
        self.request_id = request.request_id
        self._acting: Principal | None = None
        opening = Opening.for_principal(
            request.principal,
            request_id=request.request_id,
            statement_timeout_ms=self.settings.statement_timeout_ms,
            # A query reads one snapshot, so a page's nodes and its totalCount agree. Writes
            # stay READ COMMITTED: they lock and re-check rows instead of failing to serialize.
            isolation=Isolation.REPEATABLE_READ if query else Isolation.READ_COMMITTED,
            writes=not query and not subscription,
        )
        pool = request.services.pool
        self._db: TenantScope | ShortTransactions = (
            ShortTransactions(pool, opening) if subscription else TenantScope(pool, opening)
        )
        self._loaders: Loaders | None = None
        self._after_commit: list[Callable[[], Awaitable[None]]] = []
        # What the answer may carry (schema/limits.py); a subscription's events are each small.
        self.text_budget = None if subscription else TextBudget(self.settings.max_response_bytes)

    def after_commit(self, job: Callable[[], Awaitable[None]]) -> None:
        """Run `job` in the background once the operation has committed (a mail must never
        carry a link that a rollback took back), never when it rolls back."""
        self._after_commit.append(job)

    @property
    def committed_jobs(self) -> list[Callable[[], Awaitable[None]]]:
        return list(self._after_commit)

    @property
    def caller(self) -> Principal | None:
        return self._acting or self.request.principal

    @property
    def db(self) -> Database:
        return self._db

    @property
    def statement_count(self) -> int:
        return self._db.statement_count

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            caller = self.caller
            self._loaders = Loaders(self._db, caller.tenant_id if caller else None)
        return self._loaders

    def fresh_loaders(self) -> None:
        """Forget cached rows: between subscription events, each event reads anew."""
        self._loaders = None

    async def admit(self, *, mutation: bool = False, fields: tuple[str, ...] = ()) -> None:
        """Before execution: a caller bound to a tenant is checked against the database
        (user, membership, tenant status, session) and only then spends one request of the
        tenant's budget, so a revoked token can neither spend nor be billed to a tenant.

        A support session may not run a mutation, and each of its operations is written to
        the tenant's audit log, committed before anything is read."""
        principal = self.request.principal
        if self.request.auth_error is not None or principal is None or principal.tenant_id is None:
            return
        if principal.expires_at <= datetime.now(UTC):
            return  # the fields that need the caller answer UNAUTHENTICATED
        if principal.is_support and mutation:
            raise Forbidden("A support session is read-only: every mutation is refused.")
        await self._db.ensure_open()
        if principal.is_support:
            await self._record_support_access(principal, fields)
            return  # support reads are neither limited by nor billed to the tenant's plan
        if self.request.budget_spent:
            return  # the compiled path spent it before falling back here (schema/compiled/endpoint.py)
        retry_after = await self.services.rate_limits.tenant(self._db, principal.tenant_id)
        if retry_after is not None:
            raise RateLimited(retry_after, f"This tenant is over its request rate; retry in {retry_after} s.")
        self.services.api_calls.count(principal.tenant_id)

    async def _record_support_access(self, principal: Principal, fields: tuple[str, ...]) -> None:
        assert principal.session_id is not None
        assert principal.tenant_id is not None
        names = ",".join(fields)[:190] or "operation"
        async with transaction(
            self.services.pool,
            role=DbRole.APP,
            request_id=self.request_id,
            tenant_id=principal.tenant_id,
            user_id=principal.user_id,
            statement_timeout_ms=self.settings.statement_timeout_ms,
        ) as db:
            await support_queries.record_access(
                db, session_id=principal.session_id, action=f"support.{names}", fields=list(fields)
            )

    async def authenticated(self) -> Principal:
        """The caller, checked against the database (user, tenant status, role), or
        UNAUTHENTICATED / TENANT_SUSPENDED. Opens the operation's transaction."""
        if self.request.auth_error is not None and self._acting is None:
            raise self.request.auth_error
        principal = self.caller
        if principal is None:
            raise Unauthenticated()
        if principal.expires_at <= datetime.now(UTC):
            raise Unauthenticated("Invalid or expired token.")
        await self._db.ensure_open()
        return principal

    async def tenant(self) -> tuple[Principal, UUID]:
        """The caller and its active tenant, or TENANT_REQUIRED for a token without one."""
        principal = await self.authenticated()
        if principal.tenant_id is None:
            raise TenantRequired()
        return principal, principal.tenant_id

    async def manager(self) -> tuple[Principal, UUID]:
        """An OWNER or ADMIN of the active tenant, or FORBIDDEN. A support session reads
        what they read (it can write nothing)."""
        principal, tenant_id = await self.tenant()
        if not (principal.can_manage_tenant or principal.is_support):
            raise Forbidden("Only an OWNER or ADMIN of this tenant may do this.")
        return principal, tenant_id

    async def superadmin(self) -> TenantScope:
        """The operation's transaction, ready for `elevated()`; FORBIDDEN unless the token
        and the users row both say super-admin (the opening check compared them)."""
        principal = await self.authenticated()
        if not principal.superadmin or not isinstance(self._db, TenantScope):
            raise Forbidden("Super-admin only.")
        if principal.is_support:
            raise Forbidden("A support session acts inside its tenant only: use your own session.")
        return self._db

    async def assume(self, principal: Principal) -> None:
        """Act as a principal that this operation has just signed in (login, register...):
        the transaction takes its ids, so the payload's nested fields resolve under RLS."""
        self._acting = principal
        await self._db.assume(principal)
        self._loaders = None

    async def close(self, *, commit: bool) -> None:
        if isinstance(self._db, TenantScope):
            await self._db.close(commit=commit)


Info = strawberry.Info[OperationContext]


class OperationScope(SchemaExtension):
    """Gives each operation its OperationContext and each query or mutation ONE tenant-bound
    transaction (db/scope.py).

    Before execution, a caller bound to a tenant is checked against the database and spends
    one request of the tenant's budget (RATE_LIMITED refuses the whole operation). The
    transaction commits when the operation has no error and rolls back otherwise, so a
    failed mutation leaves no partial write. A subscription gets short transactions per
    statement instead: it may live for hours, and this hook spans only its start.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        request: RequestContext = execution.context
        operation_type = execution.operation_type
        operation = OperationContext(
            request,
            subscription=operation_type is OperationType.SUBSCRIPTION,
            query=operation_type is OperationType.QUERY,
        )
        execution.context = operation
        succeeded = False
        try:
            await operation.admit(
                mutation=operation_type is OperationType.MUTATION, fields=_root_fields(execution)
            )
            yield
            result = execution.result
            succeeded = result is not None and not result.errors
        finally:
            try:
                await operation.close(commit=succeeded)
            except Exception as error:  # noqa: BLE001 - a failed COMMIT must reach the client
                succeeded = False
                if execution.result is not None:
                    execution.result.data = None
                    execution.result.errors = [GraphQLError(str(error), original_error=error)]
            if succeeded:
                for job in operation.committed_jobs:
                    operation.services.background.spawn(job())

    def get_results(self) -> dict[str, Any]:
        """`extensions.sqlStatements` (IAFACTORY_EXPOSE_SQL_STATEMENT_COUNT): the statements
        the operation sent, the opening included, the COMMIT not; N+1 tests read it."""
        operation = self.execution_context.context
        if isinstance(operation, OperationContext) and operation.settings.expose_sql_statement_count:
            return {"sqlStatements": operation.statement_count}
        return {}


def _root_fields(execution: Any) -> tuple[str, ...]:
    """The names of the operation's root fields (what a support session's audit row names)."""
    document = execution.graphql_document
    if document is None:
        return ()
    wanted = execution.operation_name
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            wanted is None or (definition.name is not None and definition.name.value == wanted)
        ):
            return tuple(
                node.name.value for node in definition.selection_set.selections if isinstance(node, FieldNode)
            )
    return ()
