"""faster-whisper's BatchedInferencePipeline, finishing every window as the sequential decoder does.

Whisper ends a window's output with a single timestamp when it heard everything; when it
stops after a complete sentence instead (a timestamp pair, or words with no closing
timestamp), it means "decode again from here". `WhisperModel.transcribe` does so; the
batched pipeline (faster-whisper 1.2) decodes each window once and silently loses the rest
(on our 23 s test clip, the last 7 s of speech). Here such windows are decoded again from
their last timestamp, together in one batch, until each is finished: one more encoder pass
for those windows only, the same words as the sequential decoder.

Example:
    >>> segments, info = WholeWindows(model).transcribe(audio, batch_size=4, vad_filter=True,
    ...                                                 without_timestamps=False)
"""

from __future__ import annotations

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


class WholeWindows(BatchedInferencePipeline):  # type: ignore[misc]  # faster-whisper is untyped
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
            for index, output in zip(pending, outputs, strict=True):
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
                windows[index].extend(
                    _segment(tokenizer, part, output, seek=int(chunk["offset"] * fps)) for part in parts
                )
                if 0 < seek < size - _MIN_REST_FRAMES:  # go on from its last timestamp
                    begins[index] = begin + seek
                    again.append(index)
            if not again:
                break
            pending = again
            batch = np.stack([pad_or_trim(features[index][..., begins[index] :]) for index in pending])
        return windows


def _segment(
    tokenizer: Tokenizer, part: dict[str, Any], output: dict[str, Any], *, seek: int
) -> dict[str, Any]:
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
