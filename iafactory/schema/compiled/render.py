"""A compiled operation's IR -> the SQL statement, for one pattern of NULL parameters.

Shapes, with `tN` the row aliases and `$t` the caller's tenant:

    page    (SELECT concat('{"nodes":[', string_agg(<node>, ',' ORDER BY ...), ']}')
             FROM (SELECT <columns> FROM documents tN WHERE tN.tenant_id = $t AND tN.project_id = tP.id
                   [AND (tN.created_at, tN.id) < ($a, $b)] ORDER BY created_at DESC, id DESC
                   LIMIT $first) tN)
            with pageInfo: `first + 1` rows numbered by row_number() (`_n`), the nodes FILTERed
            to `_n <= first`, hasNextPage = `count(*) > first`
    lookup  coalesce((SELECT <object> FROM projects tN WHERE tN.tenant_id = $t AND tN.id = <key>), 'null')
    list    (SELECT concat('[', string_agg(<object>, ',' ORDER BY ...), ']') FROM ... WHERE ...)

Every read of a tenant's table carries the explicit `tenant_id = $t` (the general path's
queries do the same); row-level security, under the same transaction opening, is the wall
behind it. `tenant_predicate=False` exists only for the test that proves that wall.
"""

from __future__ import annotations

from dataclasses import dataclass

from iafactory.schema.compiled import ir
from iafactory.schema.compiled.catalog import Node
from iafactory.schema.compiled.compiler import Compiled
from iafactory.schema.compiled.jsontext import Expr, Parts, concat_sql, cursor, scalar, string

NEWEST_FIRST = "{a}.created_at DESC, {a}.id DESC"


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    slots: tuple[int, ...]  # the slot behind $1, $2, ...


def render(compiled: Compiled, nulls: tuple[bool, ...], *, tenant_predicate: bool = True) -> Statement:
    renderer = _Renderer(compiled, nulls, tenant_predicate)
    sql = "SELECT " + concat_sql(renderer.parts(compiled.body, row=None, page=None))
    return Statement(sql, tuple(renderer.order))


@dataclass(frozen=True, slots=True)
class _PageContext:
    alias: str
    first: str
    count_sql: str
    numbered: bool = False  # rows carry `_n`, and there are `first + 1` of them


class _Renderer:
    def __init__(self, compiled: Compiled, nulls: tuple[bool, ...], tenant_predicate: bool) -> None:
        self.compiled = compiled
        self.nulls = nulls
        self.tenant_predicate = tenant_predicate
        self.numbers: dict[int, int] = {}
        self.order: list[int] = []
        self.aliases = 0
        self.parents: list[str] = []  # the row each page being rendered belongs to

    def param(self, slot: int) -> str:
        if slot not in self.numbers:
            self.order.append(slot)
            self.numbers[slot] = len(self.order)
        return f"${self.numbers[slot]}::{self.compiled.slots[slot].sql_type}"

    def alias(self) -> str:
        self.aliases += 1
        return f"t{self.aliases}"

    def parts(self, value: ir.IR, *, row: str | None, page: _PageContext | None) -> Parts:
        if isinstance(value, ir.Const):
            return [value.json]
        if isinstance(value, ir.Value):
            assert row is not None
            return scalar(value.kind, value.sql.format(row=row), nullable=value.nullable)
        if isinstance(value, ir.Raw):
            return [Expr(self.param(value.slot))]
        if isinstance(value, ir.Obj):
            parts: Parts = ["{"]
            for index, (key, entry) in enumerate(value.entries):
                parts.append(("," if index else "") + string(key) + ":")
                parts.extend(self.parts(entry, row=row, page=page))
            parts.append("}")
            return parts
        if isinstance(value, ir.One):
            return [Expr(self.one(value, row))]
        if isinstance(value, ir.ParentRow):
            return self.parts(value.body, row=self.parents[-1], page=None)
        if isinstance(value, ir.Many):
            return [Expr(self.many(value, row))]
        if isinstance(value, ir.Page):
            return [Expr(self.page(value, row))]
        assert page is not None, value
        return self.page_part(value, page)

    def key(self, key: ir.Key, row: str | None) -> str:
        if isinstance(key, ir.SlotKey):
            return self.param(key.slot)
        assert row is not None
        return f"{row}.{key.column}"

    def tenant(self, node: Node, alias: str) -> list[str]:
        if node.tenant_scoped and self.tenant_predicate:
            return [f"{alias}.tenant_id = {self.param(self.compiled.tenant)}"]
        return []

    def one(self, value: ir.One, row: str | None) -> str:
        a = self.alias()
        where = [*self.tenant(value.node, a), f"{a}.id = {self.key(value.key, row)}"]
        body = concat_sql(self.parts(value.body, row=a, page=None))
        return f"coalesce((SELECT {body} FROM {value.node.table} {a} WHERE {' AND '.join(where)}), 'null')"

    def many(self, value: ir.Many, row: str | None) -> str:
        a = self.alias()
        where = [*self.tenant(value.node, a), f"{a}.{value.column} = {self.key(value.key, row)}"]
        node = concat_sql(self.parts(value.body, row=a, page=None))
        order = ", ".join(f"{a}.{column}" for column in value.order)
        return (
            f"(SELECT concat('[', string_agg({node}, ',' ORDER BY {order}), ']')"
            f" FROM {value.node.table} {a} WHERE {' AND '.join(where)})"
        )

    def page(self, value: ir.Page, row: str | None) -> str:
        a = self.alias()
        where = self.tenant(value.node, a)
        if value.link is not None:
            assert row is not None
            where.append(f"{a}.{value.link} = {row}.id")
        for column, slot in value.filters:
            if not self.nulls[slot]:
                where.append(f"{a}.{column} = {self.param(slot)}")
        table = value.node.table
        count_sql = f"(SELECT count(*) FROM {table} {a}{_where(where)})::text"
        if not _reads_rows(value.body):
            # totalCount and __typename only: no rows to aggregate (nor `first` to send).
            context = _PageContext(a, "", count_sql)
            return f"(SELECT {concat_sql(self.parts(value.body, row=None, page=context))})"
        first = self.param(value.first)
        at, row_id = value.after
        if not self.nulls[at]:
            where.append(f"({a}.created_at, {a}.id) < ({self.param(at)}, {self.param(row_id)})")
        order = NEWEST_FIRST.format(a=a)
        columns = ", ".join(f"{a}.{column}" for column in _columns(value.body))
        numbered = _reads_page_info(value.body)
        if numbered:
            # `first + 1` rows, numbered: hasNextPage and endCursor need to know which is last.
            inner = (
                f"SELECT {columns}, row_number() OVER (ORDER BY {order}) AS _n FROM {table} {a}"
                f"{_where(where)} ORDER BY {order} LIMIT {first} + 1"
            )
        else:
            # Only the nodes: exactly `first` rows, no numbering (a third of the statement's
            # cost on a nested page, measured).
            inner = f"SELECT {columns} FROM {table} {a}{_where(where)} ORDER BY {order} LIMIT {first}"
        context = _PageContext(a, first, count_sql, numbered)
        self.parents.append(row or "")
        body = concat_sql(self.parts(value.body, row=None, page=context))
        self.parents.pop()
        return f"(SELECT {body} FROM ({inner}) {a})"

    def page_part(self, value: ir.IR, page: _PageContext) -> Parts:
        a, shown = page.alias, f"FILTER (WHERE {page.alias}._n <= {page.first})"
        if isinstance(value, ir.Nodes):
            node = concat_sql(self.parts(value.body, row=a, page=None))
            if not page.numbered:
                order = NEWEST_FIRST.format(a=a)
                return ["[", Expr(f"coalesce(string_agg({node}, ',' ORDER BY {order}), '')"), "]"]
            return ["[", Expr(f"coalesce(string_agg({node}, ',' ORDER BY {a}._n) {shown}, '')"), "]"]
        if isinstance(value, ir.HasNextPage):
            return [Expr(f"CASE WHEN count(*) > {page.first} THEN 'true' ELSE 'false' END")]
        if isinstance(value, ir.EndCursor):
            last = f"(array_agg({cursor(f'{a}.created_at', f'{a}.id')} ORDER BY {a}._n DESC) {shown})[1]"
            return [Expr(f"coalesce('\"' || {last} || '\"', 'null')")]
        if isinstance(value, ir.TotalCount):
            return [Expr(page.count_sql)]
        raise AssertionError(value)


def _where(conditions: list[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def _reads_page_info(value: ir.IR) -> bool:
    if isinstance(value, ir.Obj):
        return any(_reads_page_info(entry) for _, entry in value.entries)
    return isinstance(value, ir.HasNextPage | ir.EndCursor)


def _reads_rows(value: ir.IR) -> bool:
    if isinstance(value, ir.Obj):
        return any(_reads_rows(entry) for _, entry in value.entries)
    return isinstance(value, ir.Nodes | ir.HasNextPage | ir.EndCursor)


def _columns(body: ir.Obj) -> list[str]:
    """The columns a page's rows must carry: ordering and cursor, then what its nodes read,
    including what child pages' nodes read of them as their parent (ParentRow)."""
    columns = ["id", "created_at"]

    def visit(value: ir.IR, *, own: bool) -> None:
        if isinstance(value, ir.Obj):
            for _, entry in value.entries:
                visit(entry, own=own)
        elif isinstance(value, ir.Nodes):
            visit(value.body, own=own)
        elif isinstance(value, ir.ParentRow):
            if not own:  # a child page's node reading this row; in our own nodes, our parent's
                visit(value.body, own=True)
        elif not own:
            return
        elif isinstance(value, ir.Value):
            columns.extend(value.columns)
        elif isinstance(value, ir.One | ir.Many) and isinstance(value.key, ir.ColumnKey):
            columns.append(value.key.column)
        elif isinstance(value, ir.Page):
            visit(value.body, own=False)  # its nodes are other rows, but may read this one

    visit(body, own=True)
    return list(dict.fromkeys(columns))
