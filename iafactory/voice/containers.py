"""Open uploaded audio with a demuxer chosen from its bytes, never from its name.

FFmpeg picks a demuxer by probing, and the file name weighs in: a file named `x.m3u8` opens
as an HLS playlist, and the playlist demuxer then opens every file it names, server-local
files included (`concat` and others do the same). So the container is recognised here from
its first bytes against an allow-list of audio containers, FFmpeg is told to use exactly
that demuxer, and it reads through a Python file object with no protocol allowed at all:
anything that tries to open a second file fails.

Example:
    >>> with open_audio(Path("upload-7f3a")) as container:
    ...     container.format.name, container.streams.audio[0].codec_context.name
    ('ogg', 'opus')
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import av
from av.container import InputContainer

ACCEPTED = "WAV, FLAC, MP3, AAC (ADTS), Ogg, WebM/Matroska, MP4/M4A, AIFF or AMR"
# Nested opens go through FFmpeg's protocols; a name that matches no protocol refuses them all.
# enable_drefs=0 is FFmpeg's default for MP4 references to external files: pinned on purpose.
_SAFE_OPTIONS = {"protocol_whitelist": "none", "enable_drefs": "0"}
_SNIFF_BYTES = 16
_ID3_HEADER = 10
_MAX_ID3_TAGS = 4


class UnsupportedAudioError(ValueError):
    """The file is not audio we can decode; `reason` is safe to show to the uploader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sniff(head: bytes) -> str | None:
    """The FFmpeg demuxer for a file starting with `head` (after any ID3 tag), or None."""
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[4:8] == b"ftyp":
        return "mov"
    magic = {b"fLaC": "flac", b"OggS": "ogg", b"\x1aE\xdf\xa3": "matroska", b"#!AM": "amr"}
    if head[:4] in magic:
        return magic[head[:4]]
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        # MPEG audio frame sync; layer bits 00 mean an ADTS (AAC) header instead.
        return "aac" if head[1] & 0x06 == 0 else "mp3"
    return None


def detect_format(source: BinaryIO) -> str:
    """Sniff `source` (left at its start) or raise UnsupportedAudioError."""
    head, offset = source.read(_SNIFF_BYTES), 0
    for _ in range(_MAX_ID3_TAGS):
        if head[:3] != b"ID3" or len(head) < _ID3_HEADER:
            break
        # An ID3v2 tag (MP3s, sometimes FLAC or AAC): the container starts after it.
        size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | head[9] & 0x7F
        offset += _ID3_HEADER + size + (_ID3_HEADER if head[5] & 0x10 else 0)
        source.seek(offset)
        head = source.read(_SNIFF_BYTES)
    source.seek(0)
    found = sniff(head)
    if found is None:
        raise UnsupportedAudioError(f"not a decodable audio file (accepted: {ACCEPTED})")
    return found


@contextmanager
def open_audio(path: Path) -> Iterator[InputContainer]:
    """`path` opened with the demuxer its content calls for, or UnsupportedAudioError.

    Raises FileNotFoundError when `path` does not exist: that is our bug, not the uploader's.
    """
    with path.open("rb") as source:
        container_format = detect_format(source)
        try:
            container = av.open(
                source, format=container_format, options=dict(_SAFE_OPTIONS), metadata_errors="ignore"
            )
        except (av.error.FFmpegError, IndexError) as exc:
            raise UnsupportedAudioError("not a decodable audio file") from exc
        assert isinstance(container, InputContainer)  # opened for reading
        with container:
            yield container


def declared_seconds(container: InputContainer) -> float | None:
    """How long the container's header says the audio is: a declaration (the upload's check,
    the progress of a job), never what is counted or billed (decoding.py counts that)."""
    stream = container.streams.audio[0] if container.streams.audio else None
    if stream is not None and stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return container.duration / av.time_base if container.duration is not None else None
