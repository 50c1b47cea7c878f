"""What an operation may ask for, checked before it runs (and its answer's text while it runs).

build_schema() (schema/build.py) lists these extensions in the order they run:
- `complexity_limits`: depth and aliases, as validation rules built once per schema;
- `CachedValidation`: validation cached across requests, each request given its OWN list of
  errors (the cached one is never handed out, so formatting it cannot leak a request id into
  the next request's answer), suggestions ("Did you mean ...?") hidden when introspection is;
- `QueryCost`: IAFACTORY_MAX_QUERY_COST (schema/cost.py), with this request's variables;
- `TextBudget` / `count_text` / `ResponseBudget`: IAFACTORY_MAX_RESPONSE_BYTES of resolved
  text per query or mutation.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLFieldResolver,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    default_field_resolver,
    get_named_type,
    validate,
)
from graphql.pyutils import is_awaitable as isawaitable
from strawberry.extensions import AddValidationRules, SchemaExtension, max_aliases, query_depth_limiter
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from iafactory.errors import QueryTooComplex
from iafactory.schema.cost import operation_cost
from iafactory.settings import Settings

VALIDATION_CACHE_SIZE = 1024


def complexity_limits(settings: Settings) -> type[AddValidationRules]:
    """Depth and alias limits as validation rules built ONCE per schema.

    Strawberry's QueryDepthLimiter / MaxAliasesLimiter build new rule classes per instance,
    and the rules are part of the validation cache's key: with a fresh extension per request
    the cache would never hit. Fixed rule classes keep validation cached across requests.
    """
    rules: list[type[ASTValidationRule]] = [
        query_depth_limiter.create_validator(settings.max_query_depth, None, None),
        max_aliases.create_validator(settings.max_aliases),
    ]

    class ComplexityLimits(AddValidationRules):
        def __init__(self) -> None:
            super().__init__(rules)

    return ComplexityLimits


@functools.lru_cache(maxsize=VALIDATION_CACHE_SIZE)
def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> tuple[GraphQLError, ...]:
    # Strawberry's own two rules, as its validate_document adds them.
    everything = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    return tuple(validate(schema, document, everything, hide_suggestions=hide_suggestions))


class CachedValidation(SchemaExtension):
    """Strawberry's ValidationCache, except that the cached errors are immutable (a tuple) and
    every request gets a list of its own."""

    def __init__(self, *, hide_suggestions: bool) -> None:
        self.hide_suggestions = hide_suggestions

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        assert execution.graphql_document is not None
        errors = _validate(
            execution.schema._schema,
            execution.graphql_document,
            tuple(execution.validation_rules),
            self.hide_suggestions,
        )
        execution.pre_execution_errors = list(errors)
        yield


class QueryCost(SchemaExtension):
    """QUERY_TOO_COMPLEX before execution when the operation's estimated cost is too high."""

    def __init__(self, *, maximum: int) -> None:
        self.maximum = maximum

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        # Runs after CachedValidation: only a valid document is costed.
        if execution.pre_execution_errors == [] and execution.graphql_document is not None:
            cost = operation_cost(
                execution.schema._schema,
                execution.graphql_document,
                execution.operation_name,
                execution.variables,
            )
            if cost > self.maximum:
                error = QueryTooComplex(
                    f"This operation's estimated cost is {cost}, above the limit of {self.maximum}:"
                    " ask for fewer fields or smaller pages (`first`).",
                    cost=cost,
                    maximumCost=self.maximum,
                )
                execution.pre_execution_errors = [GraphQLError(error.message, original_error=error)]
        yield


class TextBudget:
    """The text one query or mutation may answer with (IAFACTORY_MAX_RESPONSE_BYTES, one per
    character). The cost limit bounds how many fields an answer has; this bounds what they
    carry (30 aliases of 100 one-megabyte documents pass the first, not the second). Spent by
    the String fields' resolvers (`count_text`); once over, every further one fails."""

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        self.spent = 0
        self.exceeded: QueryTooComplex | None = None

    def spend(self, size: int) -> None:
        self.spent += size
        if self.spent > self.maximum:
            if self.exceeded is None:
                self.exceeded = QueryTooComplex(
                    f"The answer would be larger than {self.maximum} bytes:"
                    " ask for fewer fields or smaller pages (`first`)."
                )
            raise self.exceeded


def count_text(schema: GraphQLSchema) -> None:
    """Wraps the resolver of every String field (and only those: a hook on every field costs
    ~10 % of a nested request's CPU) so that what it returns is spent from the operation's
    `text_budget` (OperationContext's; a subscription has none)."""
    for named in schema.type_map.values():
        if isinstance(named, GraphQLObjectType) and not named.name.startswith("__"):
            for field in named.fields.values():
                if get_named_type(field.type) is GraphQLString:
                    field.resolve = _counting(field.resolve or default_field_resolver)


def _counting(resolve: GraphQLFieldResolver) -> GraphQLFieldResolver:
    def counted(root: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
        value = resolve(root, info, **arguments)
        budget: TextBudget | None = getattr(info.context, "text_budget", None)
        if budget is None:
            return value
        if value.__class__ is str:
            budget.spend(len(value))
        elif isawaitable(value):
            return _spent_when_awaited(value, budget)
        return value

    return counted


async def _spent_when_awaited(awaitable: Awaitable[Any], budget: TextBudget) -> Any:
    value = await awaitable
    if isinstance(value, str):
        budget.spend(len(value))
    return value


class ResponseBudget(SchemaExtension):
    """An operation over its TextBudget answers with that one error, no partial data (and a
    mutation rolls back: OperationScope saw the field's error)."""

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        budget: TextBudget | None = getattr(self.execution_context.context, "text_budget", None)
        result = self.execution_context.result
        if budget is not None and budget.exceeded is not None and result is not None:
            result.data = None
            result.errors = [GraphQLError(budget.exceeded.message, original_error=budget.exceeded)]
