"""A validated query operation -> its IR and parameter slots (ir.py), or NotCompilable.

Only what catalog.py maps is compiled; every other field, directive or variable type makes
the whole operation take the general path. The document must already have passed
validation: the compiler trusts field names, argument types and fragment placement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    ValueNode,
    VariableNode,
    get_named_type,
    value_from_ast,
)

from iafactory.schema.compiled import catalog, ir
from iafactory.schema.compiled.jsontext import string
from iafactory.schema.compiled.selection import NotCompilable, collect, sub_selections

VARIABLE_SCALARS = frozenset({"Int", "String", "ID", "Boolean"})


@dataclass(frozen=True, slots=True)
class Compiled:
    body: ir.Obj
    tenant: int  # the slot of the caller's tenant, for the explicit tenant_id predicates
    slots: tuple[ir.SlotSpec, ...]
    arguments: tuple[ir.ArgumentSpec, ...]
    variables: tuple[ir.VariableSpec, ...]


def compile_operation(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> Compiled:
    """The operation of that name (or the document's only one), compiled."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) != 1:
            raise NotCompilable("no operation name")
        operation = operations[0]
    else:
        named = [o for o in operations if o.name is not None and o.name.value == operation_name]
        if len(named) != 1:
            raise NotCompilable("no such operation")
        operation = named[0]
    if operation.operation is not OperationType.QUERY or operation.directives:
        raise NotCompilable("not a plain query")
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return _Compiler(schema, fragments).operation(operation)


class _Compiler:
    def __init__(self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.slots: list[ir.SlotSpec] = []
        self.arguments: list[ir.ArgumentSpec] = []
        self.variables: dict[str, ir.VariableSpec] = {}
        self._caller_slots: dict[str, int] = {}

    def operation(self, operation: OperationDefinitionNode) -> Compiled:
        for definition in operation.variable_definitions or ():
            self._variable(definition.variable.name.value, definition.type, definition.default_value)
        query = self.schema.query_type
        assert query is not None
        tenant = self.caller("tenant", "uuid")
        fields = collect(query.name, [operation.selection_set], self.fragments)
        entries = [(key, self._root(query, nodes)) for key, nodes in fields.items()]
        return Compiled(
            body=ir.Obj(tuple(entries)),
            tenant=tenant,
            slots=tuple(self.slots),
            arguments=tuple(self.arguments),
            variables=tuple(self.variables.values()),
        )

    # --- parameters --------------------------------------------------------------------

    def _variable(self, name: str, type_node: Any, default: ValueNode | None) -> None:
        nullable = not isinstance(type_node, NonNullTypeNode)
        named = type_node.type if isinstance(type_node, NonNullTypeNode) else type_node
        if not isinstance(named, NamedTypeNode):
            raise NotCompilable("a list variable")
        graphql_type = self.schema.get_type(named.name.value)
        enum_values: frozenset[str] | None = None
        if isinstance(graphql_type, GraphQLEnumType):
            enum_values = frozenset(graphql_type.values)
        elif not (isinstance(graphql_type, GraphQLScalarType) and graphql_type.name in VARIABLE_SCALARS):
            raise NotCompilable(f"a variable of type {named.name.value}")
        value: Any = ir.ABSENT
        if default is not None:
            assert graphql_type is not None
            value = _python(value_from_ast(default, graphql_type))
        self.variables[name] = ir.VariableSpec(name, graphql_type.name, nullable, value, enum_values)

    def caller(self, attribute: str, sql_type: str) -> int:
        if attribute not in self._caller_slots:
            self._caller_slots[attribute] = self._slot(sql_type, ("caller", attribute))
        return self._caller_slots[attribute]

    def _slot(self, sql_type: str, source: tuple[Any, ...]) -> int:
        self.slots.append(ir.SlotSpec(sql_type, source))
        return len(self.slots) - 1

    def argument(self, field: GraphQLField, node: FieldNode, name: str, convert: str) -> int:
        """Registers the argument; returns its index in the plan's arguments."""
        given: dict[str, ValueNode] = {a.name.value: a.value for a in node.arguments or ()}
        definition = field.args[name]
        default = definition.default_value
        spec = ir.ArgumentSpec(convert, default=ir.ABSENT if default is Undefined else _python(default))
        value = given.get(name)
        if isinstance(value, VariableNode):
            spec = ir.ArgumentSpec(convert, variable=value.name.value, default=spec.default)
        elif value is not None:
            literal = value_from_ast(value, definition.type)
            if literal is Undefined:
                raise NotCompilable(f"argument {name}")
            spec = ir.ArgumentSpec(convert, literal=_python(literal), default=spec.default)
        self.arguments.append(spec)
        return len(self.arguments) - 1

    def argument_slot(self, index: int, sql_type: str, part: int = 0) -> int:
        return self._slot(sql_type, ("argument", index, part))

    # --- fields ------------------------------------------------------------------------

    def _root(self, query: GraphQLObjectType, nodes: list[FieldNode]) -> ir.IR:
        name = nodes[0].name.value
        if name == "__typename":
            return ir.Const(string(query.name))
        spec = catalog.ROOTS.get(name)
        if spec is None:
            raise NotCompilable(f"Query.{name}")
        field = query.fields[name]
        if isinstance(spec, catalog.RootViewer):
            _check_arguments(field, ())
            return self._viewer(_object_type(field), nodes)
        node = catalog.NODES[spec.target]
        if isinstance(spec, catalog.RootLookup):
            _check_arguments(field, ("id",))
            key = ir.SlotKey(self.argument_slot(self.argument(field, nodes[0], "id", "id"), "uuid"))
            return ir.One(node, key, self.obj(node, _object_type(field), nodes))
        _check_arguments(field, ("first", "after", *spec.filters))
        filters: list[tuple[str, int]] = []
        for argument, column in spec.filters.items():
            is_enum = isinstance(get_named_type(field.args[argument].type), GraphQLEnumType)
            index = self.argument(field, nodes[0], argument, "enum" if is_enum else "optional_id")
            filters.append((column, self.argument_slot(index, "text" if is_enum else "uuid")))
        return self.page(node, field, nodes, link=None, filters=tuple(filters))

    def obj(
        self,
        node: catalog.Node,
        graphql_type: GraphQLObjectType,
        nodes: list[FieldNode],
        parent: tuple[str, str] | None = None,
    ) -> ir.Obj:
        """`parent`: (type, link column) when these are the nodes of a child page, whose
        lookup of that type through that column is the parent row itself."""
        fields = collect(graphql_type.name, sub_selections(nodes), self.fragments)
        return ir.Obj(
            tuple((key, self._field(node, graphql_type, group, parent)) for key, group in fields.items())
        )

    def _field(
        self,
        node: catalog.Node,
        graphql_type: GraphQLObjectType,
        nodes: list[FieldNode],
        parent: tuple[str, str] | None,
    ) -> ir.IR:
        name = nodes[0].name.value
        if name == "__typename":
            return ir.Const(string(graphql_type.name))
        spec = node.fields.get(name)
        if spec is None:
            raise NotCompilable(f"{node.type_name}.{name}")
        field = graphql_type.fields[name]
        if isinstance(spec, catalog.Column):
            _check_arguments(field, ())
            return _value(node, spec, field)
        target = catalog.NODES[spec.target]
        if isinstance(spec, catalog.Lookup):
            _check_arguments(field, ())
            body = self.obj(target, _object_type(field), nodes)
            if parent == (spec.target, spec.column):
                return ir.ParentRow(body)  # Project.documents.nodes.project: that very project
            return ir.One(target, ir.ColumnKey(spec.column), body)
        _check_arguments(field, ("first", "after"))
        return self.page(target, field, nodes, link=spec.column, filters=(), parent_type=node.type_name)

    def page(
        self,
        node: catalog.Node,
        field: GraphQLField,
        nodes: list[FieldNode],
        *,
        link: str | None,
        filters: tuple[tuple[str, int], ...],
        parent_type: str = "",
    ) -> ir.Page:
        first = self.argument_slot(self.argument(field, nodes[0], "first", "first"), "int4")
        after = self.argument(field, nodes[0], "after", "after")
        cursor = (self.argument_slot(after, "timestamptz", 0), self.argument_slot(after, "uuid", 1))
        page_type = _object_type(field)
        entries: list[tuple[str, ir.IR]] = []
        for key, group in collect(page_type.name, sub_selections(nodes), self.fragments).items():
            name = group[0].name.value
            if name == "__typename":
                entries.append((key, ir.Const(string(page_type.name))))
            elif name == "nodes":
                node_type = get_named_type(page_type.fields["nodes"].type)
                assert isinstance(node_type, GraphQLObjectType)
                back = None if link is None else (parent_type, link)
                entries.append((key, ir.Nodes(self.obj(node, node_type, group, back))))
            elif name == "totalCount":
                entries.append((key, ir.TotalCount()))
            elif name == "pageInfo":
                entries.append((key, self._page_info(_object_type(page_type.fields["pageInfo"]), group)))
            else:
                raise NotCompilable(f"{page_type.name}.{name}")
        return ir.Page(node, link, filters, first, cursor, ir.Obj(tuple(entries)))

    def _page_info(self, info_type: GraphQLObjectType, nodes: list[FieldNode]) -> ir.Obj:
        entries: list[tuple[str, ir.IR]] = []
        for key, group in collect(info_type.name, sub_selections(nodes), self.fragments).items():
            name = group[0].name.value
            parts: dict[str, ir.IR] = {"hasNextPage": ir.HasNextPage(), "endCursor": ir.EndCursor()}
            if name == "__typename":
                entries.append((key, ir.Const(string(info_type.name))))
            elif name in parts:
                entries.append((key, parts[name]))
            else:
                raise NotCompilable(f"PageInfo.{name}")
        return ir.Obj(tuple(entries))

    def _viewer(self, viewer: GraphQLObjectType, nodes: list[FieldNode]) -> ir.Obj:
        entries: list[tuple[str, ir.IR]] = []
        for key, group in collect(viewer.name, sub_selections(nodes), self.fragments).items():
            name = group[0].name.value
            field = viewer.fields.get(name)
            if field is not None:
                _check_arguments(field, ())
            raw = {"isSuperadmin": "superadmin_json", "tokenExpiresAt": "expires_json", "role": "role_json"}
            if name == "__typename":
                entries.append((key, ir.Const(string(viewer.name))))
            elif name in raw:
                entries.append((key, ir.Raw(self.caller(raw[name], "text"))))
            elif name in ("user", "tenant") and field is not None:
                target = catalog.USER if name == "user" else catalog.TENANT
                key_slot = ir.SlotKey(self.caller("user" if name == "user" else "tenant", "uuid"))
                entries.append((key, ir.One(target, key_slot, self.obj(target, _object_type(field), group))))
            elif name == "memberships" and field is not None:
                body = self.obj(catalog.MEMBERSHIP, _object_type(field), group)
                user = ir.SlotKey(self.caller("user", "uuid"))
                order = ("created_at", "tenant_id")  # db/queries/members.py: memberships_of_users
                entries.append((key, ir.Many(catalog.MEMBERSHIP, "user_id", user, order, body)))
            else:
                raise NotCompilable(f"Viewer.{name}")
        return ir.Obj(tuple(entries))


def _value(node: catalog.Node, spec: catalog.Column, field: GraphQLField) -> ir.Value:
    named = get_named_type(field.type)
    scalar = "enum" if isinstance(named, GraphQLEnumType) else named.name
    kind = catalog.KINDS.get((node.python_type(spec.column), scalar))
    if kind is None:
        raise NotCompilable(f"{node.type_name}.{spec.column} as {scalar}")
    if spec.template is None:
        return ir.Value(kind, f"{{row}}.{spec.column}", node.is_nullable(spec.column), (spec.column,))
    return ir.Value(kind, spec.template, True, spec.reads)


def _object_type(field: GraphQLField) -> GraphQLObjectType:
    named: GraphQLNamedType = get_named_type(field.type)
    if not isinstance(named, GraphQLObjectType):
        raise NotCompilable(f"{named.name} is not an object type")
    return named


def _check_arguments(field: GraphQLField, handled: tuple[str, ...]) -> None:
    """Every argument the schema declares for the field is one the compiler handles: an
    argument added later (given or defaulted) must not be silently ignored."""
    unknown = set(field.args) - set(handled)
    if unknown:
        raise NotCompilable(f"arguments {sorted(unknown)}")


def _python(value: Any) -> Any:
    """Enum members as their names (TranscriptionStatus: name == value)."""
    return value.name if isinstance(value, Enum) else value
