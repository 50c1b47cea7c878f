"""build_schema(): the Strawberry schema with its extensions, in execution order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.types import ExecutionContext

from iafactory.governance.metrics import Metrics
from iafactory.resolvers.mutation import Mutation
from iafactory.resolvers.query import Query
from iafactory.resolvers.subscription import Subscription
from iafactory.schema.compiled.plans import PlanCache, PlanRecorder
from iafactory.schema.context import OperationScope
from iafactory.schema.errors import ErrorCodes, ReportingParserCache, formatted, log_unexpected
from iafactory.schema.limits import CachedValidation, QueryCost, ResponseBudget, complexity_limits, count_text
from iafactory.schema.telemetry import OperationTelemetry
from iafactory.settings import Settings


class IAFactorySchema(strawberry.Schema):
    hide_suggestions = False

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = execution_context.context if execution_context else None
        request_id = getattr(context, "request_id", None)
        log_unexpected(errors, request_id)
        # A syntax error (or the token limit) is raised while ParserCache parses, outside
        # ErrorCodes' hook: it reaches only this method, so it gets its code here. `errors` is
        # this request's own list (CachedValidation copies the cached one).
        errors[:] = [formatted(error, request_id, hide_suggestions=self.hide_suggestions) for error in errors]


def build_schema(
    settings: Settings | None = None, metrics: Metrics | None = None, plans: PlanCache | None = None
) -> strawberry.Schema:
    """The schema and its whole extension order, outermost first. `metrics`: where the
    telemetry extension reports (none, e.g. for `iafactory schema`); `plans`: where the
    compiled read path's plans are recorded (none: it is off)."""
    settings = settings or Settings()
    hide_suggestions = not settings.introspection_enabled
    telemetry: list[Callable[[], Any]] = []
    if metrics is not None:
        # Outermost: times everything and sees the errors with their contract codes.
        telemetry.append(lambda: OperationTelemetry(metrics))
    extensions: list[Any] = [
        *telemetry,
        # ErrorCodes formats what every inner extension and resolver raised.
        lambda: ErrorCodes(hide_suggestions=hide_suggestions),
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: ReportingParserCache(maxsize=1024),
        lambda: CachedValidation(hide_suggestions=hide_suggestions),
        lambda: QueryCost(maximum=settings.max_query_cost),
        complexity_limits(settings),
        ResponseBudget,
        OperationScope,
    ]
    if plans is not None:
        # Innermost: only a document that passed every limit above gets a plan.
        extensions.append(lambda: PlanRecorder(plans))
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    schema = IAFactorySchema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions)
    schema.hide_suggestions = hide_suggestions
    count_text(schema._schema)
    return schema
