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


@pytest.mark.parametrize("name", ["speech_en_long.ogg", "speech_en.mp3", "speech_en.m4a", "speech_en.webm"])
def test_blocks_put_together_are_bit_for_bit_what_faster_whisper_decodes(audio_dir: Path, name: str) -> None:
    """Whisper may stop a window early over a 1e-5 difference (speech_en.mp3 lost its last
    7 s that way): the model must hear what plain faster-whisper gives it."""
    path = audio_dir / name

    with open_audio(path) as container:
        blocks = list(decode_blocks(container, block_seconds=20, max_seconds=3600))

    joined = np.concatenate([block.samples for block in blocks])
    reference = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    assert joined.dtype == reference.dtype == np.float32
    assert np.array_equal(joined, reference), f"differs by up to {np.abs(joined - reference).max():g}"
    assert all(block.start == 20.0 * index for index, block in enumerate(blocks))


def test_blocks_are_cut_every_block_seconds_and_the_last_is_marked(audio_dir: Path) -> None:
    with open_audio(audio_dir / "speech_en_long.ogg") as container:
        blocks = list(decode_blocks(container, block_seconds=20, max_seconds=3600))

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

    assert decoded / SAMPLE_RATE == pytest.approx(900, abs=1), "every second is counted, not the header's one"
    assert peak < 16 * MIB, f"peak {peak / MIB:.0f} MiB while decoding"


def test_decoding_past_the_cap_raises_audio_too_long(tmp_path: Path) -> None:
    forged = tmp_path / "silence.flac"
    forged.write_bytes(silent_flac(120, claiming=1.0))

    with open_audio(forged) as container, pytest.raises(AudioTooLong):
        for _ in decode_blocks(container, block_seconds=30, max_seconds=45):
            pass
