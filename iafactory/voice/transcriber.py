"""Speech to text with faster-whisper at the model's full speed, in bounded memory.

The file is decoded in blocks of a few minutes (decoding.py). In each block faster-whisper's
own VAD finds the speech and packs it into Whisper's native 30 s windows, and its
BatchedInferencePipeline decodes them a batch at a time (on a 2-core CPU about 1.2-1.3x
faster than the sequential `WhisperModel.transcribe`: bench/voice_direct.py prints both),
through batched.py, which decodes again the rare window the model stopped early instead of
losing its last words. A block ends after its last
pause; the speech after it is carried into the next block, so no word is cut and no audio
is decoded twice.

Progress is reported per segment and at the end of every block; segments come out one
window (or batch of windows) at a time. Callers that need a heartbeat in wall-clock time
keep it themselves (the worker does).

Example (in a worker thread):
    >>> transcriber = Transcriber("tiny.en", data_dir=Path("/var/lib/iafactory"))
    >>> transcript = transcriber.transcribe(Path("meeting.m4a"), on_segment=print)
    >>> transcript.language, transcript.segments[0]
    ('en', Segment(start=0.5, end=4.2, text='Voice recognition turns spoken words into text.'))
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.vad import VadOptions, get_speech_timestamps

from iafactory.voice.batched import WholeWindows
from iafactory.voice.containers import declared_seconds, open_audio
from iafactory.voice.decoding import SAMPLE_RATE, Audio, Block, decode_blocks
from iafactory.voice.languages import LANGUAGE_CODES, UnsupportedLanguageError
from iafactory.voice.models import DEFAULT_MODEL, resolve_model_path

DEFAULT_BLOCK_SECONDS = 300.0
DEFAULT_BATCH_SIZE = 4
DEFAULT_MAX_SECONDS = 14_400.0
# Where a block may be cut: inside a pause of 300 ms or more in its last 45 s.
_CUT_SEARCH_SECONDS = 45.0
_CUT_VAD = VadOptions(min_silence_duration_ms=300, speech_pad_ms=200)
_TOUCHES_END_SECONDS = 0.5
# Whisper's own rule for a window that holds no speech (its sequential decoder applies it).
_NO_SPEECH_PROB, _LOW_LOGPROB = 0.6, -1.0
_UNFINISHED = 0.999  # progress before the last block is done

__all__ = [
    "SAMPLE_RATE",
    "Segment",
    "Transcriber",
    "Transcript",
    "TranscriptionCancelled",
]


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
    duration: float  # seconds decoded, not what the header said


OnSegment = Callable[[Segment, float], None]
OnProgress = Callable[[float], None]
# Called with the seconds decoded so far before they are transcribed; may raise to stop.
OnAudio = Callable[[float], None]
ShouldCancel = Callable[[], bool]


class TranscriptionCancelled(Exception):
    """should_cancel() returned True; the partial transcript is discarded."""


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
        batch_size: int = DEFAULT_BATCH_SIZE,
        block_seconds: float = DEFAULT_BLOCK_SECONDS,
    ) -> None:
        self.model_spec = model_spec
        self._data_dir = data_dir
        self._cpu_threads = cpu_threads
        self._device = device
        self._compute_type = compute_type
        self._batch_size = batch_size
        self._block_seconds = block_seconds
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
        on_progress: OnProgress | None = None,
        on_audio: OnAudio | None = None,
        should_cancel: ShouldCancel | None = None,
        max_seconds: float = DEFAULT_MAX_SECONDS,
    ) -> Transcript:
        """Transcribe `path`; on_segment gets each segment with the share of the clip done (0..1).

        Raises UnsupportedAudioError, AudioTooLong (more than `max_seconds` decoded),
        UnsupportedLanguageError, TranscriptionCancelled, or whatever `on_audio` raises.
        """
        cancelled = should_cancel or (lambda: False)
        _raise_if(cancelled)
        if language is not None and language not in (supported := self.supported_languages()):
            raise UnsupportedLanguageError(language, self.model_spec, supported)
        segments: list[Segment] = []
        with open_audio(path) as container:
            progress = _Progress(declared_seconds(container))
            duration = 0.0
            for block in _cut_at_pauses(
                decode_blocks(container, block_seconds=self._block_seconds, max_seconds=max_seconds)
            ):
                duration = block.end
                progress.decoded(duration, final=block.last)
                if on_audio is not None:
                    on_audio(duration)
                _raise_if(cancelled)
                found, language = self._block_segments(block, language)
                for segment in found:
                    _raise_if(cancelled)
                    segments.append(segment)
                    if on_segment is not None:
                        on_segment(segment, progress.at(segment.end))
                if on_progress is not None:
                    on_progress(1.0 if block.last else progress.at(duration))
        return Transcript(
            text=" ".join(segment.text for segment in segments),
            segments=tuple(segments),
            language=language or "en",
            duration=duration,
        )

    def _block_segments(self, block: Block, language: str | None) -> tuple[Iterator[Segment], str | None]:
        """The segments of one block (a generator: each window's come as it is decoded), and
        the language: detected on the first block that holds speech, then kept.

        Batch 1: the sequential decoder, each 30 s window starting where the last one's words
        ended. More: windows cut at pauses by the VAD and decoded together (batched.py), which
        costs a window's encoder pass again wherever the model stops early."""
        if self._batch_size > 1:
            found, info = WholeWindows(self.model).transcribe(
                block.samples,
                language=language,
                batch_size=self._batch_size,
                beam_size=5,
                without_timestamps=False,  # segments of a sentence or two, for progress and subtitles
                vad_filter=True,
            )
        else:
            found, info = self.model.transcribe(
                block.samples,
                language=language,
                beam_size=5,
                vad_filter=True,
                condition_on_previous_text=False,
            )
        if language is None and info.duration_after_vad > 0:
            language = info.language
        start, end = block.start, block.end

        def segments() -> Iterator[Segment]:
            for s in found:
                if s.no_speech_prob > _NO_SPEECH_PROB and s.avg_logprob < _LOW_LOGPROB:
                    continue
                if text := s.text.strip():
                    yield Segment(round(start + s.start, 3), round(min(start + s.end, end), 3), text)

        return segments(), language


class _Progress:
    """Share of the clip done, never decreasing. Until the last block is decoded the length is
    the header's claim (or what was decoded so far, when more): exact for an honest file."""

    def __init__(self, declared: float | None) -> None:
        self._total = declared or 0.0
        self._final = False
        self._reached = 0.0

    def decoded(self, seconds: float, *, final: bool) -> None:
        self._total = seconds if final else max(self._total, seconds)
        self._final = final

    def at(self, position: float) -> float:
        if self._total > 0:
            share = min(position / self._total, 1.0 if self._final else _UNFINISHED)
            self._reached = max(self._reached, share)
        return self._reached


def _cut_at_pauses(blocks: Iterator[Block]) -> Iterator[Block]:
    """The blocks, each ending in a pause: the speech after it moves on to the next one."""
    carried: Audio = np.zeros(0, dtype=np.float32)
    carried_from = 0.0
    for block in blocks:
        audio = np.concatenate([carried, block.samples]) if len(carried) else block.samples
        start = carried_from if len(carried) else block.start
        cut = len(audio) if block.last else _last_pause(audio)
        yield Block(start, audio[:cut], block.last)
        carried, carried_from = audio[cut:], start + cut / SAMPLE_RATE


def _last_pause(audio: Audio) -> int:
    """Where the speech running into the end of `audio` begins (the end, if it ends in silence)."""
    offset = max(0, len(audio) - int(_CUT_SEARCH_SECONDS * SAMPLE_RATE))
    tail = audio[offset:]
    regions = get_speech_timestamps(tail, _CUT_VAD, sampling_rate=SAMPLE_RATE)
    touches = int(_TOUCHES_END_SECONDS * SAMPLE_RATE)
    if not regions or int(regions[-1]["end"]) < len(tail) - touches:
        return len(audio)
    cut = offset + int(regions[-1]["start"])
    return cut if cut > 0 else len(audio)


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
