"""faster-whisper's BatchedInferencePipeline, finishing every window as the sequential decoder does.

The batched pipeline (faster-whisper 1.2) decodes each 30 s window once, at temperature 0,
and keeps what comes out. The sequential `WhisperModel.transcribe` does two more things that
this module brings back, so that batching is faster without being worse:

- Whisper ends a window's output with a single timestamp when it heard everything; when it
  stops after a complete sentence instead (a timestamp pair, or words with no closing
  timestamp), it means "decode again from here". The batched pipeline silently loses the rest
  (on the 23 s test clip, its last 7 s; on the 63 s clip played 4 times, a fifth of the
  words). Here such windows are decoded again from their last timestamp, together.
- A window whose text is too repetitive (a hallucination loop: "my-my-my-...") or too
  improbable is decoded again at higher temperatures (the sequential decoder's fallback,
  `generate_with_fallback`), keeping the best result as it would.

Both cost extra passes for the windows concerned only.

Example:
    >>> segments, info = WholeWindows(model).transcribe(audio, batch_size=4, vad_filter=True,
    ...                                                 without_timestamps=False)
"""

from __future__ import annotations

import dataclasses
from math import ceil
from typing import Any

import numpy as np
from faster_whisper import BatchedInferencePipeline
from faster_whisper.audio import pad_or_trim
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import TranscriptionOptions, get_compression_ratio

# The sequential decoder goes on until a window is done; a bound keeps a confused model finite.
_MAX_PASSES = 4
# Less audio than this (mel frames, 10 ms each) left after the last timestamp holds no word.
_MIN_REST_FRAMES = 50
# The sequential decoder's temperatures after 0 (the batched pipeline keeps only the first).
FALLBACK_TEMPERATURES = (0.2, 0.4, 0.6, 0.8, 1.0)
Output = dict[str, Any]  # generate_segment_batched's: tokens, avg_logprob, no_speech_prob


class WholeWindows(BatchedInferencePipeline):  # type: ignore[misc]  # faster-whisper is untyped
    def __init__(
        self, model: Any, *, fallback_temperatures: tuple[float, ...] = FALLBACK_TEMPERATURES
    ) -> None:
        super().__init__(model)
        self.fallback_temperatures = fallback_temperatures

    def forward(
        self,
        features: Any,
        tokenizer: Tokenizer,
        chunks_metadata: list[dict[str, Any]],
        options: TranscriptionOptions,
    ) -> list[list[dict[str, Any]]]:
        if options.word_timestamps or options.without_timestamps:
            return super().forward(features, tokenizer, chunks_metadata, options)  # type: ignore[no-any-return]
        fps = self.model.frames_per_second
        windows: list[list[dict[str, Any]]] = [[] for _ in chunks_metadata]
        begins = [0] * len(chunks_metadata)  # mel frames of each window already decoded
        pending, batch = list(range(len(chunks_metadata))), features
        for _ in range(_MAX_PASSES):
            _, outputs = self.generate_segment_batched(batch, tokenizer, options)
            again = []
            for position, (index, output) in enumerate(zip(pending, outputs, strict=True)):
                if self.fallback_temperatures and _needs_fallback(tokenizer, output, options):
                    output = self._with_fallback(batch[position], output, tokenizer, options)
                chunk, begin = chunks_metadata[index], begins[index]
                size = int(ceil(chunk["duration"]) * fps) - begin
                # faster-whisper's own split (pinned version); `seek` < size: stopped early.
                parts, seek, _ = self.model._split_segments_by_timestamps(
                    tokenizer=tokenizer,
                    tokens=output["tokens"],
                    time_offset=chunk["offset"] + begin / fps,
                    segment_size=size,
                    segment_duration=chunk["duration"] - begin / fps,
                    seek=0,
                )
                seek_of_window = int(chunk["offset"] * fps)
                windows[index].extend(_segment(tokenizer, part, output, seek_of_window) for part in parts)
                if 0 < seek < size - _MIN_REST_FRAMES:  # go on from its last timestamp
                    begins[index] = begin + seek
                    again.append(index)
            if not again:
                break
            pending = again
            batch = np.stack([pad_or_trim(features[index][..., begins[index] :]) for index in pending])
        return windows

    def _with_fallback(
        self, window: Any, first: Output, tokenizer: Tokenizer, options: TranscriptionOptions
    ) -> Output:
        """The window decoded again at the next temperatures, as the sequential decoder would;
        the temperature-0 result stays a candidate when every other one fails too."""
        rest = dataclasses.replace(options, temperatures=list(self.fallback_temperatures))
        prompt = self.model.get_prompt(
            tokenizer,
            previous_tokens=[],
            without_timestamps=options.without_timestamps,
            hotwords=options.hotwords,
        )
        result, avg_logprob, _, _ = self.model.generate_with_fallback(
            self.model.encode(window), prompt, tokenizer, rest
        )
        second: Output = {
            "tokens": result.sequences_ids[0],
            "avg_logprob": avg_logprob,
            "no_speech_prob": result.no_speech_prob,
        }
        if not _needs_fallback(tokenizer, second, options):
            return second
        tolerable = [o for o in (first, second) if not _too_repetitive(tokenizer, o, options)]
        return max(tolerable or [first, second], key=lambda o: float(o["avg_logprob"]))


def _too_repetitive(tokenizer: Tokenizer, output: Output, options: TranscriptionOptions) -> bool:
    threshold = options.compression_ratio_threshold
    text = tokenizer.decode(output["tokens"]).strip()
    return threshold is not None and get_compression_ratio(text) > threshold


def _needs_fallback(tokenizer: Tokenizer, output: Output, options: TranscriptionOptions) -> bool:
    """The sequential decoder's rule (`generate_with_fallback`): too repetitive, or too
    improbable unless the window is silence."""
    improbable = options.log_prob_threshold is not None and output["avg_logprob"] < options.log_prob_threshold
    silence = (
        improbable
        and options.no_speech_threshold is not None
        and output["no_speech_prob"] > options.no_speech_threshold
    )
    return (_too_repetitive(tokenizer, output, options) or improbable) and not silence


def _segment(tokenizer: Tokenizer, part: dict[str, Any], output: Output, seek: int) -> dict[str, Any]:
    """The dictionary BatchedInferencePipeline's own forward() yields for one segment."""
    text = tokenizer.decode(part["tokens"])
    return {
        "text": text,
        "avg_logprob": output["avg_logprob"],
        "no_speech_prob": output["no_speech_prob"],
        "tokens": part["tokens"],
        "start": part["start"],
        "end": part["end"],
        "compression_ratio": get_compression_ratio(text),
        "seek": seek,
    }
