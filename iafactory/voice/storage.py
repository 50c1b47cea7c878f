"""Uploaded audio: received to a temporary file, probed, then kept under the tenant's isolation.

The default store keeps the bytes in the tenant-scoped table `audio_files` (row-level
security, counted in the tenant's storage through `size_bytes`), so every `serve` replica
and every `iafactory worker` can read them with nothing else to deploy. Another store
(object storage, a shared volume) implements `AudioStore` and writes `store`/`location`
instead of `data`; nothing else changes.

Example (in a resolver, inside the operation's tenant transaction):
    >>> upload = await receive_upload(file, filename="meeting.m4a", max_bytes=25 << 20, max_seconds=14400)
    >>> audio_id = await store.put(db, tenant_id=t, upload=upload, created_by=u)
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol
from uuid import UUID

from iafactory.db.database import Database
from iafactory.voice.probe import AudioInfo, probe_audio

_COPY_BUFFER = 1024 * 1024
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")


class UploadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The upload is larger than {limit} bytes.")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class ReceivedUpload:
    """An upload copied to a private temporary file and probed as audio."""

    path: Path
    filename: str
    content_type: str | None
    size_bytes: int
    info: AudioInfo

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def clean_filename(name: str | None) -> str:
    """The last path component, without control characters, at most 255 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip() or "audio"
    return cleaned[-255:]


async def receive_upload(
    source: BinaryIO, *, filename: str | None, content_type: str | None, max_bytes: int, max_seconds: float
) -> ReceivedUpload:
    """Copy the upload to a temporary file and probe it, both off the event loop.

    Raises UploadTooLarge, probe.AudioTooLong (its header says more than `max_seconds`), or
    probe.UnsupportedAudioError when it is not decodable audio.
    """
    name = clean_filename(filename)
    path = await asyncio.to_thread(_copy_to_temp, source, max_bytes)
    try:
        info = await asyncio.to_thread(probe_audio, path, max_seconds=max_seconds)
        return ReceivedUpload(
            path=path,
            filename=name,
            content_type=(content_type or None) and content_type[:255],
            size_bytes=path.stat().st_size,
            info=info,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _copy_to_temp(source: BinaryIO, max_bytes: int) -> Path:
    # No suffix from the client's name: FFmpeg would weigh it when choosing a demuxer (an
    # `.m3u8` opens as a playlist). The container is recognised from the bytes (containers.py).
    fd, name = tempfile.mkstemp(prefix="iafactory-upload-")
    path = Path(name)
    try:
        source.seek(0)
        with os.fdopen(fd, "wb") as out:
            copied = 0
            while chunk := source.read(_COPY_BUFFER):
                copied += len(chunk)
                # The HTTP guard already cut bodies far over the limit; this is the exact check.
                if copied > max_bytes:
                    raise UploadTooLarge(max_bytes)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


class AudioStore(Protocol):
    """Where audio bytes live. `put` runs in the caller's tenant transaction."""

    async def put(
        self, db: Database, *, tenant_id: UUID, upload: ReceivedUpload, created_by: UUID | None
    ) -> UUID: ...

    async def fetch_to(self, db: Database, *, tenant_id: UUID, audio_id: UUID, path: Path) -> bool: ...


class PostgresAudioStore:
    """The default: bytes in `audio_files.data`, read back by whichever worker claims the job."""

    async def put(
        self, db: Database, *, tenant_id: UUID, upload: ReceivedUpload, created_by: UUID | None
    ) -> UUID:
        data = await asyncio.to_thread(upload.path.read_bytes)
        audio_id: UUID = await db.fetchval(
            "INSERT INTO audio_files (tenant_id, filename, content_type, data, size_bytes, created_by)"
            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            tenant_id,
            upload.filename,
            upload.content_type,
            data,
            len(data),
            created_by,
        )
        return audio_id

    async def fetch_to(self, db: Database, *, tenant_id: UUID, audio_id: UUID, path: Path) -> bool:
        """Write the audio to `path`; False when the row (or its bytes) no longer exists."""
        data: bytes | None = await db.fetchval(
            "SELECT data FROM audio_files WHERE tenant_id = $1 AND id = $2", tenant_id, audio_id
        )
        if data is None:
            return False
        await asyncio.to_thread(path.write_bytes, data)
        return True


def default_store() -> AudioStore:
    return PostgresAudioStore()


def temp_audio_path() -> Path:
    """A private temporary path for a worker's copy of the audio (no suffix: see _copy_to_temp)."""
    fd, name = tempfile.mkstemp(prefix="iafactory-audio-")
    os.close(fd)
    return Path(name)


__all__ = [
    "AudioStore",
    "PostgresAudioStore",
    "ReceivedUpload",
    "UploadTooLarge",
    "clean_filename",
    "default_store",
    "receive_upload",
    "temp_audio_path",
]
