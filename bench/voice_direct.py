"""faster-whisper called directly, sequential and batched, beside iafactory's Transcriber.

RTF = seconds of audio / seconds of wall time (higher is faster; 10 means 1 min in 6 s). Every
path starts from the file (decoding included) with the same loaded model, threads and beam
size; model loading is timed apart (the service loads once per process). Rounds alternate
the paths, and medians are printed, so a neighbour's burst of CPU weighs on all alike.

    python -m bench voice_direct [FILE] --model tiny.en --threads 2 --rounds 3

    python -m bench voice_direct --repeat 4   # the clip 4 times in a row: more windows per batch

Rows: plain `WhisperModel.transcribe` (sequential 30 s windows, no VAD: the baseline the
API is held to), the same with its VAD filter, `BatchedInferencePipeline` at several batch
sizes (VAD-cut 30 s windows, each decoded once), and iafactory's Transcriber (the batched
pipeline on blocks of decoded audio, with progress callbacks, every window finished). The
`words` column is the share of what the clip says found in each row's worst transcript:
faster-whisper's batched pipeline can be faster by dropping the end of a window.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from faster_whisper import BatchedInferencePipeline, WhisperModel

from iafactory.settings import Settings
from iafactory.voice.decoding import SAMPLE_RATE
from iafactory.voice.transcriber import Transcriber
from tests.voice_api.helpers import SPOKEN, word_recall

DEFAULT_FILE = Path("tests/fixtures/audio/speech_en_long.ogg")
OPTIONS = {"beam_size": 5, "condition_on_previous_text": False}


@dataclass(frozen=True, slots=True)
class Run:
    audio_seconds: float
    wall_seconds: float
    text: str = ""

    @property
    def real_time_factor(self) -> float:
        return self.audio_seconds / self.wall_seconds


def repeated_wav(path: Path, times: int) -> bytes:
    """The clip played `times` times in a row, as 16 kHz WAV: a job long enough to measure under."""
    from faster_whisper import decode_audio

    pcm = (decode_audio(str(path), sampling_rate=SAMPLE_RATE) * 32767).astype("<i2").tobytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as long:
        long.setnchannels(1)
        long.setsampwidth(2)
        long.setframerate(SAMPLE_RATE)
        long.writeframes(pcm * times)
    return out.getvalue()


def measure_direct(path: Path, *, model: WhisperModel, vad_filter: bool = False) -> Run:
    """Plain faster-whisper on the file: decoding, then sequential 30 s windows."""
    started = time.perf_counter()
    segments, info = model.transcribe(str(path), vad_filter=vad_filter, **OPTIONS)
    text = " ".join(s.text for s in segments)  # the generator does the work
    return Run(info.duration, time.perf_counter() - started, text)


def measure_batched(path: Path, *, model: WhisperModel, batch_size: int) -> Run:
    started = time.perf_counter()
    segments, info = BatchedInferencePipeline(model).transcribe(
        str(path), batch_size=batch_size, without_timestamps=False, **OPTIONS
    )
    text = " ".join(s.text for s in segments)
    return Run(info.duration, time.perf_counter() - started, text)


def measure_transcriber(path: Path, *, transcriber: Transcriber) -> Run:
    """The same file through Transcriber.transcribe (streamed decoding, blocks, callbacks)."""
    started = time.perf_counter()
    transcript = transcriber.transcribe(path, on_segment=lambda _segment, _progress: None)
    return Run(transcript.duration, time.perf_counter() - started, transcript.text)


def spoken(path: Path, repeats: int = 1) -> str | None:
    """What a committed clip says (transcripts.json), `repeats` times; None for another file."""
    key = {"speech_en_long": "en_long", "speech_en": "en", "speech_fr": "fr"}.get(path.stem)
    return None if key is None else " ".join([SPOKEN[key]] * repeats)


def table(rows: dict[str, list[Run]], *, baseline: str, said: str | None = None) -> list[str]:
    """Median and best RTF per row, each row's median against the baseline's, and (when what
    the clip says is known) the share of its words found in the row's worst transcript: a path
    that is faster because it drops words shows here."""
    reference = statistics.median(r.wall_seconds for r in rows[baseline])
    lines = [f"  {'path':34} {'median':>8} {'best':>8} {'vs ' + baseline:>14} {'words':>6}"]
    for label, runs in rows.items():
        median = statistics.median(r.wall_seconds for r in runs)
        audio = runs[0].audio_seconds
        best = min(r.wall_seconds for r in runs)
        recall = f"{min(word_recall(said, r.text) for r in runs):6.0%}" if said else f"{'-':>6}"
        lines.append(
            f"  {label:34} {audio / median:7.2f}x {audio / best:7.2f}x {reference / median:13.2f}x {recall}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("file", type=Path, nargs="?", default=DEFAULT_FILE)
    parser.add_argument("--model", default="tiny.en", help="a spec as for IAFACTORY_WHISPER_MODEL")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-sizes", default="1,2,4,8")
    parser.add_argument("--repeat", type=int, default=1, help="play the clip this many times in a row")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("IAFACTORY_DATA_DIR", Path(tempfile.gettempdir()) / "iafactory")),
        help="where the bundled base model is joined",
    )
    args = parser.parse_args()
    batch_size = Settings(_env_file=None).whisper_batch_size
    said = spoken(args.file, args.repeat)
    if args.repeat > 1:  # more windows per batch: where batching could pay off
        repeated = Path(tempfile.mkdtemp(prefix="iafactory-bench-")) / f"{args.file.stem}-x{args.repeat}.wav"
        repeated.write_bytes(repeated_wav(args.file, args.repeat))
        args.file = repeated

    transcriber = Transcriber(
        args.model, data_dir=args.data_dir, cpu_threads=args.threads, batch_size=batch_size
    )
    started = time.perf_counter()
    model = transcriber.model  # one WhisperModel instance serves every row
    load_seconds = time.perf_counter() - started
    paths: dict[str, Callable[[], Run]] = {
        "WhisperModel.transcribe": lambda: measure_direct(args.file, model=model),
        "WhisperModel.transcribe, VAD": lambda: measure_direct(args.file, model=model, vad_filter=True),
    }
    for size in (int(s) for s in args.batch_sizes.split(",")):
        paths[f"BatchedInferencePipeline, batch {size}"] = lambda size=size: measure_batched(
            args.file, model=model, batch_size=size
        )
    paths[f"iafactory Transcriber (batch {batch_size})"] = lambda: measure_transcriber(
        args.file, transcriber=transcriber
    )
    rows: dict[str, list[Run]] = {label: [] for label in paths}
    for _ in range(args.rounds):
        for label, measure in paths.items():
            rows[label].append(measure())

    audio = rows["WhisperModel.transcribe"][0].audio_seconds
    print(f"{args.file.name}: {audio:.1f} s, model {args.model}, {args.threads} threads, int8 on CPU,")
    print(f"beam 5, {args.rounds} alternating rounds; model load {load_seconds:.2f} s")
    print("\n".join(table(rows, baseline="WhisperModel.transcribe", said=said)))


if __name__ == "__main__":
    main()
