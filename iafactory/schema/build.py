"""build_schema(): the Strawberry schema with its extensions, in execution order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ValidationCache,
    max_aliases,
    query_depth_limiter,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.types import ExecutionContext

from iafactory.governance.metrics import Metrics
from iafactory.resolvers.mutation import Mutation
from iafactory.resolvers.query import Query
from iafactory.resolvers.subscription import Subscription
from iafactory.schema.compiled.plans import PlanCache, PlanRecorder
from iafactory.schema.context import OperationScope
from iafactory.schema.errors import ErrorCodes, ReportingParserCache, formatted, log_unexpected
from iafactory.schema.telemetry import OperationTelemetry
from iafactory.settings import Settings


class IAFactorySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = execution_context.context if execution_context else None
        request_id = getattr(context, "request_id", None)
        log_unexpected(errors, request_id)
        # A syntax error (or the token limit) is raised while ParserCache parses, outside
        # ErrorCodes' hook: it reaches only this method, so it gets its code here.
        errors[:] = [formatted(error, request_id) for error in errors]


def complexity_limits(settings: Settings) -> type[AddValidationRules]:
    """Depth and alias limits as validation rules built ONCE per schema.

    Strawberry's QueryDepthLimiter / MaxAliasesLimiter build new rule classes per instance,
    and the rules are part of ValidationCache's key: with a fresh extension per request the
    cache would never hit. Fixed rule classes keep validation cached across requests.
    """
    rules: list[type[ASTValidationRule]] = [
        query_depth_limiter.create_validator(settings.max_query_depth, None, None),
        max_aliases.create_validator(settings.max_aliases),
    ]

    class ComplexityLimits(AddValidationRules):
        def __init__(self) -> None:
            super().__init__(rules)

    return ComplexityLimits


def build_schema(
    settings: Settings | None = None, metrics: Metrics | None = None, plans: PlanCache | None = None
) -> strawberry.Schema:
    """The schema and its whole extension order, outermost first. `metrics`: where the
    telemetry extension reports (none, e.g. for `iafactory schema`); `plans`: where the
    compiled read path's plans are recorded (none: it is off)."""
    settings = settings or Settings()
    telemetry: list[Callable[[], Any]] = []
    if metrics is not None:
        # Outermost: times everything and sees the errors with their contract codes.
        telemetry.append(lambda: OperationTelemetry(metrics))
    extensions: list[Any] = [
        *telemetry,
        # ErrorCodes formats what every inner extension and resolver raised.
        ErrorCodes,
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: ReportingParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        complexity_limits(settings),
        OperationScope,
    ]
    if plans is not None:
        # Innermost: only a document that passed every limit above gets a plan.
        extensions.append(lambda: PlanRecorder(plans))
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    return IAFactorySchema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions)
