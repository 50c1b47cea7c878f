"""Transcriber: accurate enough, reports every segment and block, decodes in bounded blocks
without losing or repeating a word at their edges, stops at the cap, can be cancelled."""

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pytest

from iafactory.voice.languages import UnsupportedLanguageError
from iafactory.voice.probe import AudioTooLong, UnsupportedAudioError
from iafactory.voice.transcriber import Segment, Transcriber, Transcript, TranscriptionCancelled
from tests.voice.forged import silent_flac

WordRecall = Callable[[str, str], float]


@dataclass
class Events:
    """Every callback of one transcription, in order: segments, and progress with or without one."""

    segments: list[Segment] = field(default_factory=list)
    progress: list[float] = field(default_factory=list)

    def __call__(self, segment: Segment, progress: float) -> None:
        self.segments.append(segment)
        self.progress.append(progress)

    def moved(self, progress: float) -> None:
        self.progress.append(progress)


@pytest.fixture(scope="module")
def english(tiny_en: Transcriber, audio_dir: Path) -> tuple[Transcript, Events]:
    """The English clip transcribed once by tiny.en, with every progress event recorded."""
    events = Events()
    transcript = tiny_en.transcribe(audio_dir / "speech_en.wav", on_segment=events, on_progress=events.moved)
    return transcript, events


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


def test_small_blocks_lose_no_word_at_their_edges_and_repeat_none(
    data_dir: Path, audio_dir: Path, spoken: dict[str, str], word_recall: WordRecall
) -> None:
    """Blocks end in a pause; the speech after it is carried into the next block, not re-decoded."""
    events = Events()
    small = Transcriber("tiny.en", data_dir=data_dir, block_seconds=10)

    transcript = small.transcribe(audio_dir / "speech_en.wav", on_segment=events, on_progress=events.moved)

    recall = word_recall(spoken["en"], transcript.text)
    assert recall >= 0.8, f"recall {recall:.0%}: {transcript.text!r}"
    texts = [segment.text for segment in transcript.segments]
    assert len(texts) == len(set(texts)), f"a sentence was transcribed twice: {texts}"
    assert all(a.end <= b.start + 0.5 for a, b in pairwise(transcript.segments)), "no overlap"
    assert events.progress == sorted(events.progress)
    assert len(events.progress) > len(events.segments), "each of the three blocks reports its end"


def test_every_block_is_offered_to_the_meter_before_it_is_transcribed(
    tiny_en: Transcriber, audio_dir: Path
) -> None:
    offered: list[float] = []

    class Refused(Exception):
        pass

    def meter(seconds: float) -> None:
        offered.append(seconds)
        raise Refused

    events = Events()
    with pytest.raises(Refused):
        tiny_en.transcribe(audio_dir / "speech_en.wav", on_segment=events, on_audio=meter)

    assert offered == [pytest.approx(23.3, abs=0.1)], "the whole clip fits in one block"
    assert events.segments == [], "nothing is transcribed that the meter refused"


def test_decoding_stops_at_the_cap_whatever_the_header_claims(tiny_en: Transcriber, tmp_path: Path) -> None:
    """Ten minutes of silence whose header says one second: 60 s decoded, then AudioTooLong."""
    forged = tmp_path / "silence.flac"
    forged.write_bytes(silent_flac(600, claiming=1.0))

    with pytest.raises(AudioTooLong, match="60 seconds"):
        tiny_en.transcribe(forged, max_seconds=60)


def test_silence_gives_an_empty_transcript_of_its_real_length(tiny_en: Transcriber, tmp_path: Path) -> None:
    quiet = tmp_path / "quiet.flac"
    quiet.write_bytes(silent_flac(20))

    transcript = tiny_en.transcribe(quiet)

    assert transcript.segments == ()
    assert transcript.duration == pytest.approx(20, abs=0.6)


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
