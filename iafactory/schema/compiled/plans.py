"""Plans, the bounded cache that holds them, and the extension that fills it.

A plan is recorded by `PlanRecorder` while the general path executes a document, that is
after parsing, validation and the complexity limits have passed; the fast path
(endpoint.py) only ever looks plans up. Keys are (document text, operationName as sent):
a document with one operation is recorded under its name and under None, since a request
may name it or not. A document the compiler refuses is remembered as such, so it is
compiled once per process, not once per request.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from graphql import DocumentNode, GraphQLSchema, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from iafactory.auth.principal import Principal
from iafactory.schema.compiled.binding import bind
from iafactory.schema.compiled.compiler import Compiled, compile_operation
from iafactory.schema.compiled.render import Statement, render
from iafactory.schema.compiled.selection import NotCompilable
from iafactory.schema.cost import operation_cost

log = structlog.get_logger("iafactory.compiled")

MAX_DOCUMENT_CHARS = 32 * 1024  # longer documents are not worth a cache slot
MAX_SHAPES = 16  # statements per plan, one per pattern of NULL parameters


@dataclass
class Plan:
    compiled: Compiled
    operation_name: str | None  # as the general path logs it
    tenant_predicate: bool = True
    # For the cost of each request's variables (`first: $n`): validation passed once, the
    # cost limit is checked every time (schema/cost.py).
    schema: GraphQLSchema | None = None
    document: DocumentNode | None = None
    _statements: dict[tuple[bool, ...], Statement] = field(default_factory=dict)
    _cost_without_variables: int | None = None

    def bind(self, variables: Mapping[str, Any], principal: Principal, *, max_page_size: int) -> list[Any]:
        """The slots' values; `binding.Fallback` when the general path must answer."""
        compiled = self.compiled
        return bind(
            compiled.slots,
            compiled.arguments,
            compiled.variables,
            variables,
            principal,
            max_page_size=max_page_size,
        )

    def cost(self, variables: Mapping[str, Any]) -> int:
        if self.schema is None or self.document is None:
            return 0
        if variables:
            return operation_cost(self.schema, self.document, self.operation_name, variables)
        # Without variables the cost is the document's own: computed once.
        if self._cost_without_variables is None:
            self._cost_without_variables = operation_cost(self.schema, self.document, self.operation_name, {})
        return self._cost_without_variables

    def statement(self, values: list[Any]) -> tuple[str, list[Any]]:
        """The SQL for these values' NULL pattern (rendered once per pattern), and its arguments."""
        nulls = tuple(value is None for value in values)
        statement = self._statements.get(nulls)
        if statement is None:
            statement = render(self.compiled, nulls, tenant_predicate=self.tenant_predicate)
            if len(self._statements) < MAX_SHAPES:
                self._statements[nulls] = statement
        return statement.sql, [values[slot] for slot in statement.slots]


def compile_plan(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    *,
    tenant_predicate: bool = True,
) -> Plan:
    """A plan for a VALIDATED document; NotCompilable when the general path must answer it."""
    compiled = compile_operation(schema, document, operation_name)
    return Plan(compiled, operation_name, tenant_predicate, schema=schema, document=document)


class PlanCache:
    """(document, operationName) -> Plan, least recently used first out."""

    def __init__(self, maxsize: int = 512) -> None:
        self._maxsize = maxsize
        self._entries: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()

    def get(self, query: str, operation_name: str | None) -> Plan | None:
        key = (query, operation_name)
        plan = self._entries.get(key)
        if plan is not None:
            self._entries.move_to_end(key)
        return plan

    def __contains__(self, key: tuple[str, str | None]) -> bool:
        return key in self._entries

    def record(
        self, schema: GraphQLSchema, query: str, document: DocumentNode, operation_name: str | None
    ) -> None:
        """Compiles the document's operation `operation_name` (Strawberry's: the one given,
        else the first) unless this key was seen already."""
        if len(query) > MAX_DOCUMENT_CHARS or (query, operation_name) in self._entries:
            return
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        keys = [(query, operation_name)]
        if len(operations) == 1:
            only = operations[0].name.value if operations[0].name else None
            if operation_name not in (None, only):
                return  # graphql-core refuses an unknown operation name
            operation_name = only
            keys = list(dict.fromkeys([(query, None), (query, only)]))
        plan: Plan | None
        try:
            plan = compile_plan(schema, document, operation_name)
        except NotCompilable as reason:
            plan = None
            log.debug("general path only", operation_name=operation_name, reason=str(reason))
        for key in keys:
            self._entries[key] = plan
            self._entries.move_to_end(key)
        while len(self._entries) > self._maxsize:
            self._entries.popitem(last=False)

    def forget(self, query: str, operation_name: str | None) -> None:
        """The general path answers this document from now on (its statement failed)."""
        self._entries[(query, operation_name)] = None


class PlanRecorder(SchemaExtension):
    """Records a plan for each document that reaches execution on the general path."""

    def __init__(self, plans: PlanCache) -> None:
        self.plans = plans

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        if execution.query is not None and execution.graphql_document is not None:
            schema: GraphQLSchema = execution.schema._schema
            self.plans.record(schema, execution.query, execution.graphql_document, execution.operation_name)
        yield
