"""What an operation may ask for, checked before it runs (and its answer's text while it runs).

build_schema() (schema/build.py) lists these extensions in the order they run:
- `complexity_limits`: depth and aliases, as validation rules built once per schema;
- `CachedValidation`: validation cached across requests, each request given its OWN list of
  errors (the cached one is never handed out, so formatting it cannot leak a request id into
  the next request's answer), suggestions ("Did you mean ...?") hidden when introspection is;
- `QueryCost`: IAFACTORY_MAX_QUERY_COST (schema/cost.py), with this request's variables;
- `ResponseBudget`: IAFACTORY_MAX_RESPONSE_BYTES of resolved text per operation.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
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


class ResponseBudget(SchemaExtension):
    """Counts the text resolved for one operation (one per character) and stops it at the
    limit: the cost limit bounds how many fields an answer has, this bounds what they carry
    (30 aliases of 100 one-megabyte documents pass the first, not the second). The whole
    answer is then one QUERY_TOO_COMPLEX error, and a mutation rolls back."""

    def __init__(self, *, maximum: int) -> None:
        self.maximum = maximum
        self.spent = 0
        self.exceeded: QueryTooComplex | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        result = self.execution_context.result
        if self.exceeded is not None and result is not None:
            result.data = None
            result.errors = [GraphQLError(self.exceeded.message, original_error=self.exceeded)]

    def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        self._check()
        value = _next(root, info, *args, **kwargs)
        if inspect.isawaitable(value):
            return self._counted(value)
        if isinstance(value, str):
            self._spend(len(value))
        return value

    async def _counted(self, awaitable: Awaitable[Any]) -> Any:
        value = await awaitable
        if isinstance(value, str):
            self._spend(len(value))
        return value

    def _spend(self, size: int) -> None:
        self.spent += size
        self._check()

    def _check(self) -> None:
        if self.exceeded is None and self.spent > self.maximum:
            self.exceeded = QueryTooComplex(
                f"The answer would be larger than {self.maximum} bytes:"
                " ask for fewer fields or smaller pages (`first`)."
            )
        if self.exceeded is not None:
            raise self.exceeded
