"""build_schema(): the Strawberry schema with its extensions, in execution order."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.types import ExecutionContext

from iafactory.resolvers.mutation import Mutation
from iafactory.resolvers.query import Query
from iafactory.resolvers.subscription import Subscription
from iafactory.schema.extensions import ErrorCodes, OperationScope, log_unexpected
from iafactory.settings import Settings


class IAFactorySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = execution_context.context if execution_context else None
        log_unexpected(errors, getattr(context, "request_id", None))


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    extensions: list[Any] = [
        # Outermost first: ErrorCodes formats what every inner extension and resolver raised.
        ErrorCodes,
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: ParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        OperationScope,
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    return IAFactorySchema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions
    )
