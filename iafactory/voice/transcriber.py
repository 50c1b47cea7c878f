"""Speech to text with faster-whisper, reporting progress every ~10 s of audio.

faster-whisper decodes one 30 s window at a time and yields that window's segments in a
burst, so a plain `model.transcribe(file)` reports nothing for the first 30 s of audio. We
cut the clip at pauses found by its Silero VAD into chunks of at most ~10 s and decode them
in turn. Each window holds its chunk plus the next 5 s: we keep only the segments that start
inside the chunk, but that right context wins back about half of the accuracy bare chunks
lose (synthetic French with base, word recall: whole file 0.57, bare chunks 0.48, with
context 0.53; English loses about one point either way).

Windows under 30 s still cost a full encoder pass each, so this path needs about twice the
CPU of one whole-file call (bench/voice_direct.py prints both).

Example (in a worker thread):
    >>> transcriber = Transcriber("tiny.en", data_dir=Path("/var/lib/iafactory"))
    >>> transcript = transcriber.transcribe(Path("meeting.m4a"), on_segment=print)
    >>> transcript.language, transcript.segments[0]
    ('en', Segment(start=0.5, end=4.2, text='Voice recognition turns spoken words into text.'))
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from faster_whisper import WhisperModel
from faster_whisper.audio import decode_audio
from faster_whisper.vad import VadOptions, get_speech_timestamps

from iafactory.voice.languages import LANGUAGE_CODES, UnsupportedLanguageError
from iafactory.voice.models import DEFAULT_MODEL, resolve_model_path
from iafactory.voice.probe import UnsupportedAudioError

SAMPLE_RATE = 16_000
DEFAULT_MAX_CHUNK_SECONDS = 10.0
DEFAULT_CONTEXT_SECONDS = 5.0
# A segment that starts in the chunk may run past its end by this much before it is left to
# the next window instead: long overruns would stretch the gap between progress events.
_OVERRUN_SECONDS = 2.0
# Less than this left of a chunk is only the VAD's padding: nothing to decode.
_MIN_REST_SECONDS = 0.25
_LANGUAGE_DETECTION_SECONDS = 30.0
# Cut at pauses of 300 ms or more (sentence ends), keep 200 ms of context either side.
_VAD_MIN_SILENCE_MS = 300
_VAD_SPEECH_PAD_MS = 200

Audio = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Segment:
    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    segments: tuple[Segment, ...]
    language: str
    duration: float


OnSegment = Callable[[Segment, float], None]
ShouldCancel = Callable[[], bool]


class TranscriptionCancelled(Exception):
    """should_cancel() returned True; the partial transcript is discarded."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """A stretch of speech, in seconds from the start of the clip."""

    start: float
    end: float


class Transcriber:
    """Transcribes files with one WhisperModel per process, loaded on first use.

    `transcribe` blocks for seconds to minutes: call it from a worker thread, not the event loop.
    """

    def __init__(
        self,
        model_spec: str = DEFAULT_MODEL,
        *,
        data_dir: Path,
        cpu_threads: int = 2,
        device: str = "cpu",
        compute_type: str = "int8",
        max_chunk_seconds: float = DEFAULT_MAX_CHUNK_SECONDS,
        context_seconds: float = DEFAULT_CONTEXT_SECONDS,
    ) -> None:
        self.model_spec = model_spec
        self._data_dir = data_dir
        self._cpu_threads = cpu_threads
        self._device = device
        self._compute_type = compute_type
        self._max_chunk_seconds = max_chunk_seconds
        self._context_seconds = context_seconds
        self._model_path: str | None = None

    @property
    def model(self) -> WhisperModel:
        if self._model_path is None:
            self._model_path = resolve_model_path(self.model_spec, self._data_dir)
        return _load_model(
            self._model_path,
            device=self._device,
            compute_type=self._compute_type,
            cpu_threads=self._cpu_threads,
        )

    def supported_languages(self) -> frozenset[str]:
        """The codes the loaded model has a language token for (English-only models: en)."""
        model = self.model
        if not model.model.is_multilingual:
            return frozenset({"en"})
        vocabulary = model.hf_tokenizer
        return frozenset(c for c in LANGUAGE_CODES if vocabulary.token_to_id(f"<|{c}|>") is not None)

    def transcribe(
        self,
        path: Path,
        *,
        language: str | None = None,
        on_segment: OnSegment | None = None,
        should_cancel: ShouldCancel | None = None,
    ) -> Transcript:
        """Transcribe `path`; on_segment gets each segment with the share of the clip done (0..1).

        Raises UnsupportedAudioError, UnsupportedLanguageError or TranscriptionCancelled.
        """
        cancelled = should_cancel or (lambda: False)
        _raise_if(cancelled)
        model = self.model
        if language is not None and language not in (supported := self.supported_languages()):
            raise UnsupportedLanguageError(language, self.model_spec, supported)
        audio = _decode(path)
        duration = len(audio) / SAMPLE_RATE
        chunks = plan_chunks(audio, max_seconds=self._max_chunk_seconds)
        language = language or self._detect_language(model, audio, chunks)

        segments: list[Segment] = []
        progress, cursor = 0.0, 0.0  # cursor: how far the clip is transcribed, in seconds
        while (chunk := _next_chunk(chunks, cursor)) is not None:
            _raise_if(cancelled)
            last = chunk is chunks[-1]
            window = Chunk(max(chunk.start, cursor), min(duration, chunk.end + self._context_seconds))
            accepted = _keep_inside(_transcribe_window(model, audio, window, language), chunk, last=last)
            cursor = max(cursor + _MIN_REST_SECONDS, accepted[-1].end if accepted else chunk.end)
            for segment in accepted:
                _raise_if(cancelled)
                done = 1.0 if last and segment is accepted[-1] else segment.end / duration
                progress = max(progress, min(1.0, done))
                segments.append(segment)
                if on_segment is not None:
                    on_segment(segment, progress)
        return Transcript(
            text=" ".join(segment.text for segment in segments),
            segments=tuple(segments),
            language=language,
            duration=duration,
        )

    def _detect_language(self, model: WhisperModel, audio: Audio, chunks: list[Chunk]) -> str:
        if not model.model.is_multilingual:
            return "en"
        # Detect once, on speech only, so silence or music at the start cannot mislead it.
        spans = [audio[int(c.start * SAMPLE_RATE) : int(c.end * SAMPLE_RATE)] for c in chunks]
        speech = np.concatenate(spans) if spans else audio
        language, _probability, _all = model.detect_language(
            audio=speech[: int(_LANGUAGE_DETECTION_SECONDS * SAMPLE_RATE)]
        )
        return str(language)


def plan_chunks(audio: Audio, *, max_seconds: float) -> list[Chunk]:
    """Group the clip's speech into chunks of at most `max_seconds`, cut inside pauses.

    Silence between chunks (and before the first) is skipped; a clip with no speech has no chunks.
    """
    options = VadOptions(
        max_speech_duration_s=max_seconds,
        min_silence_duration_ms=_VAD_MIN_SILENCE_MS,
        speech_pad_ms=_VAD_SPEECH_PAD_MS,
    )
    max_samples = int(max_seconds * SAMPLE_RATE)
    spans: list[tuple[int, int]] = []
    for region in get_speech_timestamps(audio, options, sampling_rate=SAMPLE_RATE):
        start, end = int(region["start"]), int(region["end"])
        if spans and end - spans[-1][0] <= max_samples:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return [Chunk(start / SAMPLE_RATE, end / SAMPLE_RATE) for start, end in spans]


def _next_chunk(chunks: list[Chunk], cursor: float) -> Chunk | None:
    return next((c for c in chunks if c.end > cursor + _MIN_REST_SECONDS), None)


def _keep_inside(found: list[Segment], chunk: Chunk, *, last: bool) -> list[Segment]:
    """The window's segments that belong to `chunk`; the next window redoes the rest."""
    kept: list[Segment] = []
    for segment in found:
        if segment.start >= chunk.end:
            break
        if kept and not last and segment.end > chunk.end + _OVERRUN_SECONDS:
            break
        kept.append(segment)
    return kept


def _transcribe_window(model: WhisperModel, audio: Audio, window: Chunk, language: str) -> list[Segment]:
    # A window is shorter than Whisper's 30 s, so its segments come out in one burst anyway.
    found, _info = model.transcribe(
        audio[int(window.start * SAMPLE_RATE) : int(window.end * SAMPLE_RATE)],
        language=language,
        beam_size=5,
        # Conditioning on earlier text makes base repeat its first sentence on synthetic speech.
        condition_on_previous_text=False,
    )
    return [
        Segment(
            start=round(window.start + s.start, 3),
            end=round(min(window.start + s.end, window.end), 3),
            text=text,
        )
        for s in found
        if (text := s.text.strip())
    ]


def _decode(path: Path) -> Audio:
    try:
        audio: Audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except (av.error.FFmpegError, IndexError) as exc:
        raise UnsupportedAudioError("not a decodable audio file") from exc
    if audio.size == 0:
        raise UnsupportedAudioError("the file holds no audio samples")
    return audio


def _raise_if(cancelled: ShouldCancel) -> None:
    if cancelled():
        raise TranscriptionCancelled


_models: dict[tuple[str, str, str, int], WhisperModel] = {}
_models_lock = threading.Lock()


def _load_model(path: str, *, device: str, compute_type: str, cpu_threads: int) -> WhisperModel:
    """One WhisperModel per (path, device, precision, threads) per process: loading costs seconds
    and hundreds of MB, and CTranslate2 models are safe to share between threads."""
    key = (path, device, compute_type, cpu_threads)
    with _models_lock:
        if key not in _models:
            _models[key] = WhisperModel(
                path, device=device, compute_type=compute_type, cpu_threads=cpu_threads
            )
        return _models[key]
