"""The compiler's map: which table each GraphQL object type reads, and what each of its
compiled fields is. Tables, columns and their nullability come from the SQLModel models
(db/models.py: GRAPHQL_TABLES), so one declaration drives the models' catalog test and the
compiler; a column named here that a model lacks fails at import.

A field not listed here is not compiled: a query that selects it takes the general path.
"""

from __future__ import annotations

import types
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Union, get_args, get_origin

from sqlmodel import SQLModel

from iafactory.db.models import GRAPHQL_TABLES
from iafactory.schema.compiled.jsontext import Kind


@dataclass(frozen=True, slots=True)
class Column:
    """A scalar read from this row. `template`: the SQL when it is not the bare column, with
    `{row}` for the row's alias (Transcription.text shows only once COMPLETED)."""

    column: str
    template: str | None = None  # its value may be NULL whatever the column
    reads: tuple[str, ...] = ()  # the columns the template reads


@dataclass(frozen=True, slots=True)
class Lookup:
    """An object of another table whose id this row holds (null when there is none, or when
    row-level security hides it): Document.project, Project.createdBy."""

    target: str
    column: str


@dataclass(frozen=True, slots=True)
class Children:
    """A page (Page[T]) of another table's rows that point at this row: Project.documents."""

    target: str
    column: str  # the child's column holding this row's id


FieldSpec = Column | Lookup | Children


@dataclass(frozen=True, slots=True)
class Node:
    """A GraphQL object type read from one table."""

    type_name: str
    fields: Mapping[str, FieldSpec]
    # Rows carry tenant_id: every read of them filters on it explicitly (index use), with
    # row-level security as the wall behind. Users and tenants are narrowed by RLS alone,
    # exactly as the general path's loaders read them.
    tenant_scoped: bool
    model: type[SQLModel] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", GRAPHQL_TABLES[self.type_name])
        for name, spec in self.fields.items():
            if not isinstance(spec, Children):
                self.python_type(spec.column)  # fails loudly for a column the model lacks
            if isinstance(spec, Column) and spec.template is None and name != _camel(spec.column):
                raise ValueError(f"{self.type_name}.{name} reads column {spec.column}")

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)

    def python_type(self, column: str) -> type:
        """The column's Python type, without `| None`."""
        annotation = self.model.model_fields[column].annotation
        if get_origin(annotation) in (Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        assert isinstance(annotation, type), annotation
        return annotation

    def is_nullable(self, column: str) -> bool:
        annotation = self.model.model_fields[column].annotation
        return get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation)


def _camel(column: str) -> str:
    head, *rest = column.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _columns(*names: str) -> dict[str, FieldSpec]:
    return {_camel(name): Column(name) for name in names}


USER = Node("User", _columns("id", "email", "full_name", "created_at"), tenant_scoped=False)
TENANT = Node(
    "Tenant",
    _columns("id", "name", "slug", "region", "plan", "status", "created_at"),
    tenant_scoped=False,
)
# Viewer.memberships: the caller's own memberships in every tenant (RLS shows them).
MEMBERSHIP = Node(
    "Membership", {**_columns("role"), "tenant": Lookup("Tenant", "tenant_id")}, tenant_scoped=False
)
PROJECT = Node(
    "Project",
    {
        **_columns("id", "name", "description", "created_at", "updated_at"),
        "createdBy": Lookup("User", "created_by"),
        "documents": Children("Document", "project_id"),
        "transcriptions": Children("Transcription", "project_id"),
    },
    tenant_scoped=True,
)
DOCUMENT = Node(
    "Document",
    {
        **_columns("id", "title", "content", "source", "language", "created_at", "indexed_at"),
        "project": Lookup("Project", "project_id"),
        "createdBy": Lookup("User", "created_by"),
    },
    tenant_scoped=True,
)
TRANSCRIPTION = Node(
    "Transcription",
    {
        **_columns(
            "id",
            "status",
            "progress",
            "filename",
            "language",
            "detected_language",
            "duration",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "attempts",
            "segment_count",
        ),
        # Transcription.from_record: the text only once COMPLETED.
        "text": Column(
            "text",
            template="CASE WHEN {row}.status = 'COMPLETED' THEN {row}.text END",
            reads=("status", "text"),
        ),
        "project": Lookup("Project", "project_id"),
        "document": Lookup("Document", "document_id"),
    },
    tenant_scoped=True,
)

NODES: dict[str, Node] = {
    node.type_name: node for node in (USER, TENANT, MEMBERSHIP, PROJECT, DOCUMENT, TRANSCRIPTION)
}


@dataclass(frozen=True, slots=True)
class RootPage:
    """A Query field answering Page[T] of the tenant's rows; `filters`: argument -> column."""

    target: str
    filters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RootLookup:
    """A Query field answering the tenant's row of that `id`, or null."""

    target: str


@dataclass(frozen=True, slots=True)
class RootViewer:
    """Query.me: the caller, from the verified token and the tables RLS shows it."""


RootSpec = RootPage | RootLookup | RootViewer

ROOTS: dict[str, RootSpec] = {
    "projects": RootPage("Project"),
    "project": RootLookup("Project"),
    "documents": RootPage("Document", {"projectId": "project_id"}),
    "document": RootLookup("Document"),
    "transcriptions": RootPage("Transcription", {"status": "status"}),
    "me": RootViewer(),
}

# How a column is written, by its Python type and the GraphQL scalar it is served as.
KINDS: dict[tuple[type, str], Kind] = {
    (uuid.UUID, "ID"): Kind.UUID,
    (str, "ID"): Kind.STRING,
    (str, "String"): Kind.STRING,
    (str, "enum"): Kind.STRING,  # stored as the enum member's name
    (datetime, "DateTime"): Kind.DATETIME,
    (float, "Float"): Kind.FLOAT,
    (int, "Int"): Kind.INT,
    (bool, "Boolean"): Kind.BOOLEAN,
}
