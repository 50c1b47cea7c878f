"""WholeWindows: a window whose output stops before its end is decoded again from its last
timestamp, and a repetitive one at higher temperatures, as faster-whisper's sequential decoder
does (its batched pipeline keeps the first output as it is).

The model's outputs are scripted here (the real tiny.en supplies the tokenizer and the split);
tests/voice/test_transcriber.py shows the words it saves on real audio (speech_en.mp3)."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import TranscriptionOptions

from iafactory.voice.batched import WholeWindows
from iafactory.voice.transcriber import Transcriber


class Model:
    """The real tiny.en (tokens, timestamps, prompts), with a scripted temperature fallback."""

    def __init__(self, transcriber: Transcriber, fallback: list[int] | None = None) -> None:
        self._real = transcriber.model
        self.fallback = fallback
        self.fallback_temperatures: list[list[float]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def encode(self, features: Any) -> None:
        return None

    def generate_with_fallback(self, encoded: Any, prompt: Any, tokenizer: Any, options: Any) -> Any:
        self.fallback_temperatures.append(list(options.temperatures))
        result = SimpleNamespace(sequences_ids=[self.fallback], no_speech_prob=0.01)
        return result, -0.3, options.temperatures[0], 1.2


class Scripted(WholeWindows):
    """Answers each decoding pass with the next scripted outputs (token lists, or whole
    dictionaries); records the features it was given."""

    def __init__(self, model: Model | Transcriber, passes: list[list[Any]]) -> None:
        super().__init__(model if isinstance(model, Model) else Model(model))
        self.passes = passes
        self.batches: list[np.ndarray] = []

    def generate_segment_batched(
        self, features: Any, tokenizer: Tokenizer, options: Any
    ) -> tuple[None, list[Any]]:
        self.batches.append(np.asarray(features))
        return None, [
            o if isinstance(o, dict) else {"tokens": o, "avg_logprob": -0.2, "no_speech_prob": 0.01}
            for o in self.passes.pop(0)
        ]


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


def options() -> TranscriptionOptions:
    """faster-whisper's thresholds; what forward() does not read only reaches the (scripted)
    decoding."""
    unread = dict.fromkeys(field.name for field in dataclasses.fields(TranscriptionOptions))
    return TranscriptionOptions(
        **{
            **unread,
            "word_timestamps": False,
            "without_timestamps": False,
            "log_prob_threshold": -1.0,
            "no_speech_threshold": 0.6,
            "compression_ratio_threshold": 2.4,
            "temperatures": [0.0],
        }
    )


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


def test_a_repetitive_window_is_decoded_again_at_the_next_temperatures(
    tiny_en: Transcriber, tokenizer: Tokenizer
) -> None:
    loop = [stamp(tokenizer, 0.0), *words(tokenizer, " the cafe" + "-my" * 60), stamp(tokenizer, 20.0)]
    heard = [
        stamp(tokenizer, 0.0),
        *words(tokenizer, " The cafe near the lighthouse."),
        stamp(tokenizer, 20.0),
    ]
    model = Model(tiny_en, fallback=heard)
    pipeline = Scripted(model, [[loop]])

    [segments] = pipeline.forward(features(1), tokenizer, [{"offset": 0.0, "duration": 20.0}], options())

    assert [s["text"].strip() for s in segments] == ["The cafe near the lighthouse."]
    assert model.fallback_temperatures == [[0.2, 0.4, 0.6, 0.8, 1.0]], "temperature 0 is not tried twice"


def test_a_silent_window_is_not_decoded_again(tiny_en: Transcriber, tokenizer: Tokenizer) -> None:
    """The sequential rule: improbable text over a window that is most likely silence is left."""
    mumble = [stamp(tokenizer, 0.0), *words(tokenizer, " Hmm."), stamp(tokenizer, 2.0)]
    model = Model(tiny_en, fallback=mumble)
    silent = {"tokens": mumble, "avg_logprob": -1.5, "no_speech_prob": 0.9}
    pipeline = Scripted(model, [[silent]])

    pipeline.forward(features(1), tokenizer, [{"offset": 0.0, "duration": 3.0}], options())

    assert model.fallback_temperatures == []
