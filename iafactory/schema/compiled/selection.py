"""Which fields a selection set asks for, keyed by response name, in the order graphql-core
answers them: fields in document order (a fragment's at the place of its first spread),
the same response name merged into one entry (validation guarantees they agree).

@skip / @include with a literal are applied; with a variable (the answer would depend on
the request) or any other directive the operation is not compiled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionNode,
    SelectionSetNode,
)


class NotCompilable(Exception):
    """The operation asks for something the compiled path does not answer exactly."""


Fields = dict[str, list[FieldNode]]


def collect(
    type_name: str,
    selection_sets: Sequence[SelectionSetNode],
    fragments: Mapping[str, FragmentDefinitionNode],
) -> Fields:
    """The fields that the selection sets (of one field's merged nodes) select on `type_name`."""
    fields: Fields = {}
    visited: set[str] = set()
    for selection_set in selection_sets:
        _collect(type_name, selection_set, fragments, fields, visited)
    return fields


def sub_selections(nodes: Sequence[FieldNode]) -> list[SelectionSetNode]:
    return [node.selection_set for node in nodes if node.selection_set is not None]


def _collect(
    type_name: str,
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    fields: Fields,
    visited: set[str],
) -> None:
    for selection in selection_set.selections:
        if not _included(selection):
            continue
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            fields.setdefault(key, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            _check_condition(
                type_name, selection.type_condition.name.value if selection.type_condition else None
            )
            _collect(type_name, selection.selection_set, fragments, fields, visited)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in visited:
                continue
            visited.add(name)
            fragment = fragments.get(name)
            if fragment is None or fragment.variable_definitions:
                raise NotCompilable(f"fragment {name}")
            _check_condition(type_name, fragment.type_condition.name.value)
            _collect(type_name, fragment.selection_set, fragments, fields, visited)
        else:
            raise NotCompilable(type(selection).__name__)


def _check_condition(type_name: str, condition: str | None) -> None:
    # Every compiled type is an object type, so a matching fragment names it exactly.
    if condition is not None and condition != type_name:
        raise NotCompilable(f"fragment on {condition} inside {type_name}")


def _included(selection: SelectionNode) -> bool:
    included = True
    for directive in selection.directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            raise NotCompilable(f"@{name}")
        arguments = {argument.name.value: argument.value for argument in directive.arguments or ()}
        condition = arguments.get("if")
        if not isinstance(condition, BooleanValueNode):
            raise NotCompilable(f"@{name} with a variable")
        if condition.value == (name == "skip"):
            included = False
    return included
