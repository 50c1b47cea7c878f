"""The demuxer comes from the file's bytes, from an allow-list of audio containers."""

from pathlib import Path

import pytest

from iafactory.voice.containers import UnsupportedAudioError, open_audio, sniff
from tests.voice.forged import concat_script, hls_playlist

HEADS = {
    b"RIFF\x24\x00\x00\x00WAVEfmt ": "wav",
    b"fLaC\x00\x00\x00\x22": "flac",
    b"OggS\x00\x02": "ogg",
    b"\x1aE\xdf\xa3\x9fB\x86\x81": "matroska",
    b"\x00\x00\x00\x20ftypM4A ": "mov",
    b"FORM\x00\x00\x10\x00AIFF": "aiff",
    b"\xff\xfb\x90\x64": "mp3",
    b"\xff\xf1\x50\x80": "aac",
    b"#!AMR\n": "amr",
}


@pytest.mark.parametrize(("head", "container"), HEADS.items())
def test_each_accepted_container_is_known_by_its_first_bytes(head: bytes, container: str) -> None:
    assert sniff(head) == container


@pytest.mark.parametrize(
    "head",
    [b"#EXTM3U\n#EXT-X-VERSION:3", b"ffconcat version 1.0\n", b"<?xml version=", b"\x89PNG\r\n\x1a\n", b""],
)
def test_playlists_scripts_and_other_files_are_not_audio(head: bytes) -> None:
    assert sniff(head) is None


def test_an_id3_tag_is_skipped_before_sniffing(tmp_path: Path, audio_dir: Path) -> None:
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10  # a 10-byte (empty) ID3v2 tag
    tagged = tmp_path / "tagged"
    tagged.write_bytes(tag + (audio_dir / "speech_en.mp3").read_bytes())

    with open_audio(tagged) as container:
        assert container.format.name == "mp3"


def test_an_id3_tag_in_front_of_a_playlist_does_not_make_it_audio(tmp_path: Path, audio_dir: Path) -> None:
    disguised = tmp_path / "disguised.mp3"
    disguised.write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00" + hls_playlist(audio_dir / "speech_en.mp3"))

    with pytest.raises(UnsupportedAudioError), open_audio(disguised):
        pass


def test_no_protocol_is_open_to_a_demuxer_that_names_another_file(tmp_path: Path, audio_dir: Path) -> None:
    """Defence in depth, should a format that opens other files ever be allowed: FFmpeg reads
    through our file object, and every nested open is refused."""
    import av

    from iafactory.voice.containers import _SAFE_OPTIONS

    script = tmp_path / "x.ffconcat"
    script.write_bytes(concat_script(audio_dir / "speech_en.wav"))
    with script.open("rb") as source, pytest.raises(av.error.FFmpegError):
        av.open(source, format="concat", options={**_SAFE_OPTIONS, "safe": "0"})
