"""What an operation may cost before it runs (IAFACTORY_MAX_QUERY_COST, shared/CONTRACT.md).

Each selected field costs 1; a list field multiplies the cost of its selection by its page
size: its own `first` (`searchKnowledge`), or its page's (`projects(first: 10) { nodes }`),
else that argument's default; a list no argument sizes counts UNPAGED_LIST_SIZE items.
Nested pages multiply as their rows do. Introspection (`__schema`, `__type`, `__typename`)
is exempt.

The cost depends on the variables (`first: $n`), which validation never sees, so it is
computed per request from the parsed document (cached by ParserCache) and the raw
variables; the walk is linear in the document, which MaxTokensLimiter bounds.

>>> operation_cost(schema, parse("{ projects(first: 10) { totalCount nodes { id name } } }"), None, {})
23
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
)
from graphql.pyutils import Undefined

PAGE_ARGUMENT = "first"
# Members, memberships, segments...: lists a client cannot size. An estimate, not a bound.
UNPAGED_LIST_SIZE = 10
EXEMPT = frozenset({"__schema", "__type", "__typename"})


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The estimated cost of the operation the request runs (0 when there is none to run:
    validation or execution reports that)."""
    operation = _operation(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    defaults = {
        definition.variable.name.value: definition.default_value
        for definition in operation.variable_definitions or ()
    }
    walk = _Walk(schema, fragments, dict(variables or {}), defaults)
    return walk.selection(root, operation.selection_set, page=None, spreading=frozenset())


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        defaults: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.defaults = defaults

    def selection(
        self,
        parent: GraphQLNamedType,
        selection_set: SelectionSetNode,
        *,
        page: int | None,
        spreading: frozenset[str],
    ) -> int:
        total = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total += self.field(parent, node, page=page, spreading=spreading)
            elif isinstance(node, InlineFragmentNode):
                condition = self._type(node.type_condition.name.value) if node.type_condition else parent
                total += self.selection(
                    condition or parent, node.selection_set, page=page, spreading=spreading
                )
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spreading:
                    continue  # validation refuses unknown and cyclic fragments
                condition = self._type(fragment.type_condition.name.value) or parent
                total += self.selection(
                    condition, fragment.selection_set, page=page, spreading=spreading | {name}
                )
        return total

    def field(
        self, parent: GraphQLNamedType, node: FieldNode, *, page: int | None, spreading: frozenset[str]
    ) -> int:
        name = node.name.value
        if name in EXEMPT or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0
        definition = parent.fields.get(name)
        if definition is None:
            return 0
        if node.selection_set is None:
            return 1
        size = self._page_size(definition, node)
        child = get_named_type(definition.type)
        if not isinstance(get_nullable_type(definition.type), GraphQLList):
            # A page object hands its size to its list (`nodes`); anything else counts once.
            return 1 + self.selection(child, node.selection_set, page=size, spreading=spreading)
        count = next((n for n in (size, page) if n is not None), UNPAGED_LIST_SIZE)
        return 1 + count * self.selection(child, node.selection_set, page=None, spreading=spreading)

    def _page_size(self, definition: GraphQLField, node: FieldNode) -> int | None:
        argument = definition.args.get(PAGE_ARGUMENT)
        if argument is None:
            return None
        value: Any = Undefined
        given = next((a.value for a in node.arguments or () if a.name.value == PAGE_ARGUMENT), None)
        if isinstance(given, IntValueNode):
            value = int(given.value)
        elif isinstance(given, VariableNode):
            variable = given.name.value
            if variable in self.variables:
                value = self.variables[variable]
            elif isinstance(self.defaults.get(variable), IntValueNode):
                value = int(self.defaults[variable].value)
        elif isinstance(given, NullValueNode):
            value = None
        if not isinstance(value, int) or isinstance(value, bool):
            value = argument.default_value  # absent or null: the resolver's default
        return max(0, value) if isinstance(value, int) else 1

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self.schema.get_type(name)
