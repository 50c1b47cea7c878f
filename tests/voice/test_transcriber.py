"""Transcriber: accurate enough, reports progress every few seconds of audio, can be cancelled."""

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pytest
from faster_whisper import decode_audio

from iafactory.voice.languages import UnsupportedLanguageError
from iafactory.voice.probe import UnsupportedAudioError
from iafactory.voice.transcriber import (
    SAMPLE_RATE,
    Segment,
    Transcriber,
    Transcript,
    TranscriptionCancelled,
    plan_chunks,
)

WordRecall = Callable[[str, str], float]
# Progress must move at least this often, in seconds of audio: chunks are at most 10 s.
MAX_SILENT_STRETCH_S = 10.5


@dataclass
class Events:
    segments: list[Segment] = field(default_factory=list)
    progress: list[float] = field(default_factory=list)

    def __call__(self, segment: Segment, progress: float) -> None:
        self.segments.append(segment)
        self.progress.append(progress)


@pytest.fixture(scope="module")
def english(tiny_en: Transcriber, audio_dir: Path) -> tuple[Transcript, Events]:
    """The English clip transcribed once by tiny.en, with every progress event recorded."""
    events = Events()
    return tiny_en.transcribe(audio_dir / "speech_en.wav", on_segment=events), events


def test_english_speech_is_transcribed_by_tiny_en(
    english: tuple[Transcript, Events], spoken: dict[str, str], word_recall: WordRecall
) -> None:
    transcript, _ = english

    recall = word_recall(spoken["en"], transcript.text)

    assert recall >= 0.8, f"recall {recall:.0%}: {transcript.text!r}"
    assert transcript.language == "en"


def test_the_transcript_spans_the_whole_clip(english: tuple[Transcript, Events]) -> None:
    transcript, _ = english
    starts = [segment.start for segment in transcript.segments]

    assert starts == sorted(starts), "segments come in order"
    assert all(0 <= s.start < s.end <= transcript.duration for s in transcript.segments)
    assert transcript.segments[-1].end > transcript.duration - 2, "the last sentence is there"


def test_every_segment_is_reported_as_it_is_found(english: tuple[Transcript, Events]) -> None:
    transcript, events = english

    assert tuple(events.segments) == transcript.segments


def test_progress_never_goes_backwards_and_ends_at_one(english: tuple[Transcript, Events]) -> None:
    _, events = english

    assert events.progress == sorted(events.progress)
    assert events.progress[-1] == 1.0
    assert all(0 <= p <= 1 for p in events.progress)


def test_progress_moves_at_least_every_ten_seconds_of_audio(
    english: tuple[Transcript, Events],
) -> None:
    transcript, events = english
    reached = [0.0] + [p * transcript.duration for p in events.progress]

    stretches = [later - earlier for earlier, later in pairwise(reached)]

    assert max(stretches) <= MAX_SILENT_STRETCH_S, f"seconds of audio between events: {stretches}"


def test_speech_is_cut_into_chunks_of_at_most_ten_seconds(audio_dir: Path) -> None:
    audio = decode_audio(str(audio_dir / "speech_en.wav"), sampling_rate=SAMPLE_RATE)
    duration = len(audio) / SAMPLE_RATE

    chunks = plan_chunks(audio, max_seconds=10)

    assert all(chunk.end - chunk.start <= 10 for chunk in chunks), chunks
    assert all(a.end <= b.start for a, b in pairwise(chunks)), "no overlap"
    assert chunks[0].start < 0.6, "the first word is kept"
    assert chunks[-1].end > duration - 0.6, "the last word is kept"


def test_cancelling_stops_between_segments(tiny_en: Transcriber, audio_dir: Path) -> None:
    events = Events()

    with pytest.raises(TranscriptionCancelled):
        tiny_en.transcribe(
            audio_dir / "speech_en.wav",
            on_segment=events,
            should_cancel=lambda: len(events.segments) >= 1,
        )

    assert len(events.segments) == 1


def test_cancelling_before_the_start_does_no_work(tiny_en: Transcriber, audio_dir: Path) -> None:
    events = Events()

    with pytest.raises(TranscriptionCancelled):
        tiny_en.transcribe(audio_dir / "speech_en.wav", on_segment=events, should_cancel=lambda: True)

    assert events.segments == []


def test_an_english_only_model_refuses_other_languages(tiny_en: Transcriber, audio_dir: Path) -> None:
    with pytest.raises(UnsupportedLanguageError, match="only: en"):
        tiny_en.transcribe(audio_dir / "speech_en.wav", language="fr")


def test_a_file_that_is_not_audio_is_refused(tiny_en: Transcriber, audio_dir: Path) -> None:
    with pytest.raises(UnsupportedAudioError):
        tiny_en.transcribe(audio_dir / "not_audio.txt")


def test_the_model_is_loaded_once_per_process(tiny_en: Transcriber, data_dir: Path) -> None:
    another = Transcriber("tiny.en", data_dir=data_dir)

    assert another.model is tiny_en.model


@pytest.mark.slow
@pytest.mark.parametrize("name", ["speech_en.mp3", "speech_en.ogg", "speech_en.m4a", "speech_en.webm"])
def test_compressed_uploads_transcribe_as_well_as_the_wav(
    tiny_en: Transcriber, audio_dir: Path, spoken: dict[str, str], word_recall: WordRecall, name: str
) -> None:
    transcript = tiny_en.transcribe(audio_dir / name)

    assert word_recall(spoken["en"], transcript.text) >= 0.8, transcript.text


@pytest.mark.slow
def test_french_speech_is_detected_and_transcribed_by_base(
    data_dir: Path, audio_dir: Path, spoken: dict[str, str], word_recall: WordRecall
) -> None:
    transcript = Transcriber("base", data_dir=data_dir).transcribe(audio_dir / "speech_fr.wav")

    recall = word_recall(spoken["fr"], transcript.text)

    assert transcript.language == "fr"
    assert recall >= 0.5, f"recall {recall:.0%}: {transcript.text!r}"
