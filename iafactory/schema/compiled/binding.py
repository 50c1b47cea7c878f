"""A request's variables and caller -> the values of a plan's parameter slots.

Stricter than GraphQL's coercion on purpose: whatever graphql-core would coerce, reject or
report (an Int sent as 5.0, an ID sent as a number, a required variable missing), and
whatever a resolver would refuse (a page size out of range, a forged cursor, a malformed
id), raises `Fallback`: the general path then answers, with its own errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from iafactory.auth.principal import Principal
from iafactory.errors import BadUserInput
from iafactory.schema.compiled import ir
from iafactory.schema.pages import check_first, decode_position

INT_RANGE = range(-(2**31), 2**31)


class Fallback(Exception):
    """This request must take the general path."""


def bind(
    slots: Sequence[ir.SlotSpec],
    arguments: Sequence[ir.ArgumentSpec],
    variables: Sequence[ir.VariableSpec],
    given: Mapping[str, Any],
    principal: Principal,
    *,
    max_page_size: int,
) -> list[Any]:
    coerced = {spec.name: _variable(spec, given) for spec in variables}
    values = [_argument(spec, coerced, max_page_size) for spec in arguments]
    return [_slot(slot.source, values, principal) for slot in slots]


def _variable(spec: ir.VariableSpec, given: Mapping[str, Any]) -> Any:
    if spec.name not in given:
        if spec.default is not ir.ABSENT:
            return spec.default
        if not spec.nullable:
            raise Fallback(f"${spec.name} is required")
        return ir.ABSENT
    value = given[spec.name]
    if value is None:
        if spec.nullable:
            return None
        raise Fallback(f"${spec.name} is null")
    kind = type(value)
    if spec.enum_values is not None:
        valid = kind is str and value in spec.enum_values
    elif spec.type_name == "Int":
        valid = kind is int and value in INT_RANGE
    elif spec.type_name == "Boolean":
        valid = kind is bool
    else:  # String, ID (graphql-core would also turn a number into an ID)
        valid = kind is str
    if not valid:
        raise Fallback(f"${spec.name} is not a plain {spec.type_name}")
    return value


def _argument(spec: ir.ArgumentSpec, variables: Mapping[str, Any], max_page_size: int) -> Any:
    value = spec.literal if spec.variable is None else variables[spec.variable]
    if value is ir.ABSENT:
        value = None if spec.default is ir.ABSENT else spec.default
    try:
        if spec.convert == "first":
            return check_first(value, maximum=max_page_size)
        if spec.convert == "after":
            return decode_position(value)
        if value is None:
            if spec.convert == "id":
                raise Fallback("a required id is null")
            return None
        if spec.convert == "enum":
            return str(value)
        return UUID(str(value))  # as resolvers/validation.py's parse_id
    except (BadUserInput, ValueError, TypeError) as error:
        raise Fallback(str(error)) from error


def _slot(source: tuple[Any, ...], values: Sequence[Any], principal: Principal) -> Any:
    if source[0] == "argument":
        value = values[source[1]]
        if isinstance(value, tuple):  # a cursor's position: (created_at, id)
            return value[source[2]]
        return value
    attribute = source[1]
    if attribute == "tenant":
        return principal.tenant_id
    if attribute == "user":
        return principal.user_id
    if attribute == "role_json":
        return f'"{principal.role.value}"' if principal.role else "null"
    if attribute == "expires_json":
        return f'"{principal.expires_at.isoformat()}"'
    if attribute == "superadmin_json":
        return "true" if principal.superadmin else "false"
    raise AssertionError(source)
