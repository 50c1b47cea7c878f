"""decode_blocks: Whisper's input block by block, in bounded memory, counting every second."""

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from faster_whisper import decode_audio

from iafactory.voice.containers import open_audio
from iafactory.voice.decoding import SAMPLE_RATE, decode_blocks
from iafactory.voice.probe import AudioTooLong
from tests.voice.forged import silent_flac

MIB = 1 << 20


def test_blocks_put_together_are_what_faster_whisper_decodes(audio_dir: Path) -> None:
    path = audio_dir / "speech_en_long.ogg"

    with open_audio(path) as container:
        blocks = list(decode_blocks(container, block_seconds=20, max_seconds=3600))

    joined = np.concatenate([block.samples for block in blocks])
    reference = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    assert len(joined) == len(reference)
    assert np.abs(joined - reference).max() < 1e-3
    assert [block.start for block in blocks] == [0.0, 20.0, 40.0, 60.0]
    assert [block.last for block in blocks] == [False, False, False, True]


def test_a_flac_of_silence_claiming_one_second_is_decoded_in_bounded_memory(tmp_path: Path) -> None:
    """A quarter of an hour decoded whole is 58 MB of float32; block by block it is a few MB."""
    forged = tmp_path / "silence.flac"
    forged.write_bytes(silent_flac(900, claiming=1.0))

    tracemalloc.start()
    try:
        with open_audio(forged) as container:
            decoded = sum(
                len(b.samples) for b in decode_blocks(container, block_seconds=30, max_seconds=3600)
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert decoded / SAMPLE_RATE == pytest.approx(900, abs=1), (
        "every second is counted, not the header's one"
    )
    assert peak < 16 * MIB, f"peak {peak / MIB:.0f} MiB while decoding"


def test_decoding_past_the_cap_raises_audio_too_long(tmp_path: Path) -> None:
    forged = tmp_path / "silence.flac"
    forged.write_bytes(silent_flac(120, claiming=1.0))

    with open_audio(forged) as container, pytest.raises(AudioTooLong):
        for _ in decode_blocks(container, block_seconds=30, max_seconds=45):
            pass
