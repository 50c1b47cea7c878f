"""Real-time factor of faster-whisper called directly: the baseline the API path is compared to.

RTF here = seconds of audio / seconds of wall time (higher is faster; 10 means 1 min in 6 s).
Model loading is timed apart: the service loads once per process, not once per file.

    python -m bench.voice_direct tests/fixtures/audio/speech_en.wav --model tiny.en --threads 2

It prints the direct figure and, side by side from the same run and the same loaded model, the
figure for iafactory's chunked Transcriber, whose VAD chunks cost extra encoder passes.
"""

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from faster_whisper import WhisperModel, decode_audio

from iafactory.voice.models import resolve_model_path
from iafactory.voice.transcriber import SAMPLE_RATE, Transcriber


@dataclass(frozen=True, slots=True)
class Run:
    audio_seconds: float
    wall_seconds: float

    @property
    def real_time_factor(self) -> float:
        return self.audio_seconds / self.wall_seconds


def measure_direct(path: Path, *, model: WhisperModel, repeats: int = 3) -> Run:
    """Best of `repeats` runs of WhisperModel.transcribe with the service's decoding options."""
    audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    walls = []
    for _ in range(repeats):
        started = time.perf_counter()
        segments, _info = model.transcribe(audio, beam_size=5, condition_on_previous_text=False)
        list(segments)  # the generator does the work
        walls.append(time.perf_counter() - started)
    return Run(audio_seconds=len(audio) / SAMPLE_RATE, wall_seconds=min(walls))


def measure_transcriber(path: Path, *, transcriber: Transcriber, repeats: int = 3) -> Run:
    """The same file through Transcriber.transcribe (decode, VAD chunks, progress callbacks)."""
    walls = []
    duration = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        duration = transcriber.transcribe(path, on_segment=lambda _segment, _progress: None).duration
        walls.append(time.perf_counter() - started)
    return Run(audio_seconds=duration, wall_seconds=min(walls))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--model", default="tiny.en", help="a spec as for IAFACTORY_WHISPER_MODEL")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("IAFACTORY_DATA_DIR", Path(tempfile.gettempdir()) / "iafactory")),
        help="where the bundled base model is joined",
    )
    args = parser.parse_args()

    transcriber = Transcriber(args.model, data_dir=args.data_dir, cpu_threads=args.threads)
    started = time.perf_counter()
    model = transcriber.model  # the same WhisperModel instance serves both measurements
    load_seconds = time.perf_counter() - started
    model_path = resolve_model_path(args.model, args.data_dir)

    direct = measure_direct(args.file, model=model, repeats=args.repeats)
    chunked = measure_transcriber(args.file, transcriber=transcriber, repeats=args.repeats)

    print(f"model {args.model} ({model_path}), {args.threads} threads, int8 on CPU")
    print(f"load           {load_seconds:6.2f} s")
    print(
        f"direct         RTF {direct.real_time_factor:6.1f}x  "
        f"({direct.audio_seconds:.1f} s audio in {direct.wall_seconds:.2f} s)"
    )
    print(
        f"transcriber    RTF {chunked.real_time_factor:6.1f}x  "
        f"({chunked.audio_seconds:.1f} s audio in {chunked.wall_seconds:.2f} s)"
    )
    print(f"transcriber / direct wall time: {chunked.wall_seconds / direct.wall_seconds:.2f}")


if __name__ == "__main__":
    main()
