"""One log line and the metrics of each GraphQL operation.

The OUTERMOST schema extension (build_schema), so that it times everything and sees
the errors after `ErrorCodes` has given them their contract codes. It binds request_id,
tenant_id and user_id to structlog's context at the start of the operation, so every line
logged while the operation runs carries them, on HTTP and on a WebSocket alike (each
WebSocket operation runs in its own task, with its own copy of the context).

A log line looks like:
  {"event": "graphql operation", "operation_type": "mutation", "operation_name": "CreateProject",
   "duration_ms": 8.1, "error_codes": [], "path": "general", "request_id": "...", "tenant_id": "...",
   "user_id": "...", ...}
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import structlog
from strawberry.extensions import SchemaExtension

from iafactory.auth.principal import Principal
from iafactory.governance.metrics import Metrics

log = structlog.get_logger("iafactory.requests")


def _identity(principal: Principal | None) -> dict[str, str | None]:
    return {
        "tenant_id": str(principal.tenant_id) if principal and principal.tenant_id else None,
        "user_id": str(principal.user_id) if principal else None,
    }


class OperationTelemetry(SchemaExtension):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def on_operation(self) -> AsyncIterator[None]:
        execution = self.execution_context
        request = execution.context  # the RequestContext: OperationScope replaces it later
        structlog.contextvars.bind_contextvars(
            request_id=getattr(request, "request_id", None),
            **_identity(getattr(request, "principal", None)),
        )
        started = time.perf_counter()
        try:
            yield
        finally:
            self._report(time.perf_counter() - started)

    def _report(self, seconds: float) -> None:
        execution = self.execution_context
        # login / register act as the user they sign in (OperationContext.caller).
        principal = getattr(execution.context, "caller", None) or getattr(
            execution.context, "principal", None
        )
        report(
            self.metrics,
            principal,
            operation_type=_operation_type(execution),
            operation_name=_operation_name(execution),
            seconds=seconds,
            codes=_codes(execution.result),
        )


def report(
    metrics: Metrics,
    principal: Principal | None,
    *,
    operation_type: str,
    operation_name: str | None,
    seconds: float,
    codes: list[str],
    path: str = "general",
) -> None:
    """The operation's metrics and log line. `path`: which engine answered, `general` (the
    per-field resolvers) or `compiled` (iafactory/schema/compiled/)."""
    identity = _identity(principal)
    structlog.contextvars.bind_contextvars(**identity)
    metrics.operation(
        tenant_id=principal.tenant_id if principal else None,
        operation_type=operation_type,
        seconds=seconds,
        codes=codes,
    )
    log.info(
        "graphql operation",
        operation_type=operation_type,
        operation_name=operation_name,
        duration_ms=round(seconds * 1000, 2),
        error_codes=codes,
        path=path,
    )


def _operation_type(execution: Any) -> str:
    try:
        return str(execution.operation_type.value)
    except Exception:  # noqa: BLE001 - no parsable operation: counted as "invalid", still logged
        return "invalid"


def _operation_name(execution: Any) -> str | None:
    try:
        return execution.operation_name  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - a malformed document has no name; the line is still logged
        return None


def _codes(result: Any) -> list[str]:
    errors = getattr(result, "errors", None) or []
    return [str((getattr(error, "extensions", None) or {}).get("code", "INTERNAL")) for error in errors]
