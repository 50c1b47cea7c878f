"""References between the domain type modules, resolved at first use (Strawberry's lazy
types): a project lists documents and a document names its project, yet no type module
imports another's at import time, so there is no import cycle.

>>> project = await PROJECT.load(info, document.project_id)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import asyncpg
import strawberry
from aiodataloader import DataLoader
from strawberry.types.lazy_type import LazyType

from iafactory.schema.context import Info

if TYPE_CHECKING:
    from iafactory.schema.types.knowledge import Document
    from iafactory.schema.types.projects import Project
    from iafactory.schema.types.voice import Transcription

PROJECTS = "iafactory.schema.types.projects"
KNOWLEDGE = "iafactory.schema.types.knowledge"
VOICE = "iafactory.schema.types.voice"

ProjectRef = Annotated["Project", strawberry.lazy(PROJECTS)]
DocumentRef = Annotated["Document", strawberry.lazy(KNOWLEDGE)]
TranscriptionRef = Annotated["Transcription", strawberry.lazy(VOICE)]


@dataclass(frozen=True, slots=True)
class Ref:
    """A type of another module, and the loader that finds its rows by id."""

    lazy: LazyType[Any, Any]
    loader: Callable[[Info], DataLoader[UUID, asyncpg.Record | None]]

    def build(self, row: asyncpg.Record) -> Any:
        return self.lazy.resolve_type().from_record(row)

    async def load(self, info: Info, key: UUID | None) -> Any:
        """The object of that id in the active tenant, or None (no statement for a null id)."""
        row = None if key is None else await self.loader(info).load(key)
        return self.build(row) if row is not None else None


PROJECT = Ref(LazyType("Project", PROJECTS), lambda info: info.context.loaders.projects)
DOCUMENT = Ref(LazyType("Document", KNOWLEDGE), lambda info: info.context.loaders.documents)
TRANSCRIPTION = Ref(LazyType("Transcription", VOICE), lambda info: info.context.loaders.transcriptions)

__all__ = [
    "DOCUMENT",
    "PROJECT",
    "TRANSCRIPTION",
    "Document",
    "DocumentRef",
    "Project",
    "ProjectRef",
    "Transcription",
    "TranscriptionRef",
]
