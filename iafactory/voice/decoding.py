"""Decode audio to Whisper's input (16 kHz mono float32) block by block, in bounded memory.

A 25 MiB FLAC of silence holds about 38 hours: decoded whole it would take ~8.8 GB. Here
the file is read one block at a time and every decoded second is counted, so a job never
holds more than a block or two and never decodes past IAFACTORY_MAX_AUDIO_SECONDS,
whatever its header claims.

Example:
    >>> with open_audio(path) as container:
    ...     for block in decode_blocks(container, block_seconds=300, max_seconds=14400):
    ...         block.start, len(block.samples) / SAMPLE_RATE, block.last
    (0.0, 300.0, False)
    (300.0, 112.5, True)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt
from av.audio.frame import AudioFrame
from av.audio.resampler import AudioResampler
from av.container import InputContainer

from iafactory.voice.containers import UnsupportedAudioError
from iafactory.voice.probe import AudioTooLong

SAMPLE_RATE = 16_000
_S16_SCALE = np.float32(32768.0)
Audio = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Block:
    """`samples` start `start` seconds into the clip; `last`: nothing follows."""

    start: float
    samples: Audio
    last: bool

    @property
    def end(self) -> float:
        return self.start + len(self.samples) / SAMPLE_RATE


def decode_blocks(container: InputContainer, *, block_seconds: float, max_seconds: float) -> Iterator[Block]:
    """Blocks of `block_seconds` (the last one shorter), one decoded ahead so `last` is known.

    Raises AudioTooLong as soon as more than `max_seconds` are decoded, and
    UnsupportedAudioError for a file without audio or without a single decodable sample.
    """
    if not container.streams.audio:
        raise UnsupportedAudioError("the file has no audio stream")
    size = int(block_seconds * SAMPLE_RATE)
    pending: Audio | None = None
    start = 0
    for samples in _fixed_blocks(_samples(container, max_seconds), size):
        if pending is not None:
            yield Block(start / SAMPLE_RATE, pending, last=False)
            start += len(pending)
        pending = samples
    if pending is None:
        raise UnsupportedAudioError("the file holds no audio samples")
    yield Block(start / SAMPLE_RATE, pending, last=True)


def _fixed_blocks(pieces: Iterator[Audio], size: int) -> Iterator[Audio]:
    buffered: list[Audio] = []
    held = 0
    for piece in pieces:
        buffered.append(piece)
        held += len(piece)
        while held >= size:
            joined = np.concatenate(buffered)
            yield joined[:size]
            rest = joined[size:]
            buffered, held = ([rest] if len(rest) else []), len(rest)
    if held:
        yield np.concatenate(buffered)


def _samples(container: InputContainer, max_seconds: float) -> Iterator[Audio]:
    """16 kHz mono float32 pieces as FFmpeg decodes them; a broken packet is skipped.

    Through 16-bit samples, as faster-whisper's own `decode_audio`: the model then hears the
    very same input, bit for bit (Whisper's output can change with a 1e-5 difference)."""
    resampler = AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    max_samples = int(max_seconds * SAMPLE_RATE)
    decoded = 0
    for frame in _frames(container):
        for out in resampler.resample(frame):
            piece: Audio = out.to_ndarray().reshape(-1).astype(np.float32) / _S16_SCALE
            decoded += len(piece)
            if decoded > max_samples:
                raise AudioTooLong(max_seconds)
            yield piece


def _frames(container: InputContainer) -> Iterator[AudioFrame | None]:
    """Every decodable frame, then None (flushes the resampler); a broken packet is skipped,
    as faster-whisper's own decoder does."""
    for packet in container.demux(container.streams.audio[0]):
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            continue
        yield from (frame for frame in frames if isinstance(frame, AudioFrame))
    yield None
