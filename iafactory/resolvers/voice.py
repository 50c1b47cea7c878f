"""Transcriptions (the voice issue fills these in)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.file_uploads import Upload

from iafactory.resolvers.context import OperationContext
from iafactory.schema.types.voice import Transcription, TranscriptionEvent, TranscriptionPage, TranscriptionStatus

Info = strawberry.Info[OperationContext]


async def transcription(info: Info, id: strawberry.ID) -> Transcription | None:
    raise NotImplementedError


async def transcriptions(
    info: Info, first: int | None = 20, after: str | None = None, status: TranscriptionStatus | None = None
) -> TranscriptionPage:
    raise NotImplementedError


async def transcribe_audio(
    info: Info,
    file: Upload,
    language: str | None = None,
    project_id: strawberry.ID | None = None,
    add_to_knowledge_base: bool | None = False,
) -> Transcription:
    raise NotImplementedError


async def cancel_transcription(info: Info, id: strawberry.ID) -> Transcription:
    raise NotImplementedError


async def transcription_progress(info: Info, id: strawberry.ID) -> AsyncGenerator[TranscriptionEvent, None]:
    raise NotImplementedError
    yield
