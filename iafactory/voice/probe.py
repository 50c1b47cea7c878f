"""Decide at upload whether a file is audio we can transcribe, and how long it says it is.

This is the cheap check made while the uploader waits: the container comes from the file's
bytes (containers.py), the duration from its headers, and a look at the last seconds they
promise catches a file cut off early. Headers can lie, so the duration found here is only
a declaration: the worker counts what it really decodes and stops a job that outgrows it
beyond what the tenant has left (voice/metering.py). Every decode here is bounded.

Example:
    >>> info = probe_audio(Path("speech_en.mp3"), max_seconds=14400)
    >>> info.codec, round(info.duration)
    ('mp3', 23)
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.audio.stream import AudioStream
from av.container import InputContainer

from iafactory.voice.containers import UnsupportedAudioError, declared_seconds, open_audio

# Headers may disagree slightly with the decoded length (encoder delay, padding); a file
# whose audio stops short of what its headers promise by more than this was cut off.
_TRUNCATION_TOLERANCE_S = 1.0
_TAIL_WINDOW_S = 2.0

__all__ = ["AudioInfo", "AudioTooLong", "UnsupportedAudioError", "probe_audio"]


class AudioTooLong(Exception):
    """More audio than one job may hold (IAFACTORY_MAX_AUDIO_SECONDS); safe to show."""

    def __init__(self, limit: float) -> None:
        super().__init__(f"The audio is longer than the {limit:g} seconds one transcription may hold.")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class AudioInfo:
    duration: float
    codec: str
    sample_rate: int
    channels: int
    container: str


def probe_audio(path: Path, *, max_seconds: float) -> AudioInfo:
    """Describe the first audio stream of `path`, or raise UnsupportedAudioError / AudioTooLong.

    Raises FileNotFoundError when `path` does not exist: that is our bug, not the uploader's.
    """
    if path.stat().st_size == 0:
        raise UnsupportedAudioError("the file is empty")
    try:
        with open_audio(path) as container:
            return _describe(container, path, max_seconds)
    # PyAV raises InvalidDataError (an FFmpegError) for most garbage, and a bare IndexError
    # for a few broken streams.
    except (av.error.FFmpegError, IndexError) as exc:
        raise UnsupportedAudioError("not a decodable audio file") from exc


def _describe(container: InputContainer, path: Path, max_seconds: float) -> AudioInfo:
    if not container.streams.audio:
        raise UnsupportedAudioError("the file has no audio stream")
    stream = container.streams.audio[0]
    codec = stream.codec_context
    declared = declared_seconds(container)
    if declared is None:
        duration = _decode_all(container, stream, max_seconds)
    else:
        wav_declared = _wav_header_duration(path) if container.format.name == "wav" else None
        promised = max(declared, wav_declared or 0.0)
        if promised > max_seconds:
            raise AudioTooLong(max_seconds)
        _check_not_truncated(container, stream, promised)
        duration = declared
    if duration <= 0:
        raise UnsupportedAudioError("the file holds no audio samples")
    return AudioInfo(
        duration=duration,
        codec=codec.codec.canonical_name,
        sample_rate=codec.sample_rate,
        channels=codec.layout.nb_channels,
        container=container.format.name,
    )


def _wav_header_duration(path: Path) -> float | None:
    # FFmpeg clamps a WAV's length to the bytes present, hiding truncation; the RIFF
    # header still says how long the recording was meant to be.
    try:
        with wave.open(str(path), "rb") as wav:
            frames, rate = wav.getnframes(), wav.getframerate()
            frame_size = wav.getsampwidth() * wav.getnchannels()
    except (wave.Error, EOFError):
        return None
    # Unfinalised streaming writers leave the size at 0 or 0xFFFFFFFF: nothing promised.
    if rate <= 0 or frame_size <= 0 or frames in (0, 0xFFFFFFFF // frame_size):
        return None
    return frames / rate


def _check_not_truncated(container: InputContainer, stream: AudioStream, promised: float) -> None:
    end = _decodable_end(container, stream, promised)
    if end < promised - _TRUNCATION_TOLERANCE_S:
        raise UnsupportedAudioError(
            f"the file is truncated: its headers promise {promised:.1f} s of audio, "
            f"only {end:.1f} s can be decoded"
        )


def _decodable_end(container: InputContainer, stream: AudioStream, promised: float) -> float:
    """Seek just before the promised end and return where the decodable audio stops, looking
    no further than the promise: a header that says 1 s must not make us decode hours."""
    time_base = stream.time_base or Fraction(1, av.time_base)
    start = max(0.0, promised - _TAIL_WINDOW_S)
    try:
        container.seek(int(start / time_base), stream=stream)
    except av.error.FFmpegError:
        container.seek(0, stream=stream)
    end = 0.0
    try:
        for frame in container.decode(stream):
            if frame.pts is not None and frame.time_base is not None:
                end = max(end, float(frame.pts * frame.time_base) + frame.samples / frame.sample_rate)
            if end >= promised:
                break
    except av.error.InvalidDataError:
        pass  # garbage after the last good frame is what a cut-off file looks like
    return end


def _decode_all(container: InputContainer, stream: AudioStream, max_seconds: float) -> float:
    """No header duration (a live recording): count by decoding, never past the cap."""
    samples = 0
    rate = stream.codec_context.sample_rate
    for frame in container.decode(stream):
        samples += frame.samples
        rate = frame.sample_rate
        if rate and samples / rate > max_seconds:
            raise AudioTooLong(max_seconds)
    return samples / rate if rate else 0.0
