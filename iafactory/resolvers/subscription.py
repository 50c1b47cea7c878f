"""The Subscription root."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from iafactory.resolvers import voice
from iafactory.schema.context import Info
from iafactory.schema.types.voice import TranscriptionEvent


@strawberry.type
class Subscription:
    @strawberry.subscription(  # type: ignore[untyped-decorator]
        description=(
            "Progress of one transcription of the active tenant. The first event is the\n"
            "current state, sent at once; then one event per status change and per new\n"
            "segment; the stream completes after COMPLETED, FAILED or CANCELLED.\n"
            "An id of another tenant gives NOT_FOUND, exactly as an unknown id."
        )
    )
    async def transcription_progress(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[TranscriptionEvent, None]:
        async for event in voice.transcription_progress(info, id):
            yield event
