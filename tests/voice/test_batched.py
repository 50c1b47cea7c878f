"""WholeWindows: a window whose output stops before its end is decoded again from its last
timestamp, as faster-whisper's sequential decoder does (its batched pipeline drops the rest).

The model's outputs are scripted here (the real tiny.en supplies the tokenizer and the split);
tests/voice/test_transcriber.py shows the words it saves on real audio (speech_en.mp3)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from faster_whisper.tokenizer import Tokenizer

from iafactory.voice.batched import WholeWindows
from iafactory.voice.transcriber import Transcriber


class Scripted(WholeWindows):
    """Answers each decoding pass with the next scripted token lists; records what it was given."""

    def __init__(self, transcriber: Transcriber, passes: list[list[list[int]]]) -> None:
        super().__init__(transcriber.model)
        self.passes = passes
        self.batches: list[np.ndarray] = []

    def generate_segment_batched(
        self, features: Any, tokenizer: Tokenizer, options: Any
    ) -> tuple[None, list[Any]]:
        self.batches.append(np.asarray(features))
        outputs = self.passes.pop(0)
        return None, [{"tokens": t, "avg_logprob": -0.2, "no_speech_prob": 0.01} for t in outputs]


@pytest.fixture(scope="module")
def tokenizer(tiny_en: Transcriber) -> Tokenizer:
    model = tiny_en.model
    return Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")


def stamp(tokenizer: Tokenizer, seconds: float) -> int:
    return int(tokenizer.timestamp_begin + round(seconds / 0.02))


def words(tokenizer: Tokenizer, text: str) -> list[int]:
    return list(tokenizer.encode(text))


def features(count: int) -> np.ndarray:
    """`count` windows of mel features whose frame i holds the value i (to see the shift)."""
    return np.tile(np.arange(3000, dtype=np.float32), (count, 80, 1))


def options() -> Any:
    """What forward() reads itself; the rest only reaches the (scripted) decoding."""
    return SimpleNamespace(word_timestamps=False, without_timestamps=False)


def test_a_window_ending_on_a_timestamp_pair_is_decoded_again_from_there(
    tiny_en: Transcriber, tokenizer: Tokenizer
) -> None:
    first = [
        stamp(tokenizer, 0.0),
        *words(tokenizer, " One sentence."),
        stamp(tokenizer, 4.0),
        stamp(tokenizer, 4.0),
        *words(tokenizer, " Another."),
        stamp(tokenizer, 8.0),
        stamp(tokenizer, 8.0),  # then end of text: "go on from 8 s"
    ]
    second = [stamp(tokenizer, 0.0), *words(tokenizer, " The rest of it."), stamp(tokenizer, 5.0)]
    pipeline = Scripted(tiny_en, [[first], [second]])

    [segments] = pipeline.forward(features(1), tokenizer, [{"offset": 10.0, "duration": 14.0}], options())

    assert [s["text"].strip() for s in segments] == ["One sentence.", "Another.", "The rest of it."]
    assert [(s["start"], s["end"]) for s in segments] == [(10.0, 14.0), (14.0, 18.0), (18.0, 23.0)]
    assert pipeline.batches[1][0, 0, 0] == 800, "the second pass starts at the 8 s timestamp"


def test_words_after_the_last_timestamp_are_decoded_again_not_dropped(
    tiny_en: Transcriber, tokenizer: Tokenizer
) -> None:
    cut_off = [
        stamp(tokenizer, 0.0),
        *words(tokenizer, " Complete."),
        stamp(tokenizer, 3.0),
        stamp(tokenizer, 3.0),
        *words(tokenizer, " Half a"),  # no closing timestamp
    ]
    finished = [stamp(tokenizer, 0.0), *words(tokenizer, " Half a sentence."), stamp(tokenizer, 2.5)]
    pipeline = Scripted(tiny_en, [[cut_off], [finished]])

    [segments] = pipeline.forward(features(1), tokenizer, [{"offset": 0.0, "duration": 6.0}], options())

    assert [s["text"].strip() for s in segments] == ["Complete.", "Half a sentence."]


def test_only_the_windows_that_stopped_early_are_decoded_again(
    tiny_en: Transcriber, tokenizer: Tokenizer
) -> None:
    done = [
        stamp(tokenizer, 0.0),
        *words(tokenizer, " Done."),
        stamp(tokenizer, 2.0),
        stamp(tokenizer, 2.0),
        *words(tokenizer, " And done."),
        stamp(tokenizer, 25.0),  # a single timestamp: the window is finished
    ]
    early = [
        stamp(tokenizer, 0.0),
        *words(tokenizer, " Early."),
        stamp(tokenizer, 2.0),
        stamp(tokenizer, 2.0),
    ]
    rest = [stamp(tokenizer, 0.0), *words(tokenizer, " Rest."), stamp(tokenizer, 3.0)]
    pipeline = Scripted(tiny_en, [[done, early], [rest]])
    chunks = [{"offset": 0.0, "duration": 26.0}, {"offset": 30.0, "duration": 10.0}]

    windows = pipeline.forward(features(2), tokenizer, chunks, options())

    assert [[s["text"].strip() for s in w] for w in windows] == [["Done.", "And done."], ["Early.", "Rest."]]
    assert [len(batch) for batch in pipeline.batches] == [2, 1]
