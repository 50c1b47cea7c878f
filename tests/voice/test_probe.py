"""probe_audio: accept the audio containers we know by their bytes, refuse everything else
with a reason, and never decode more than the cap at upload, whatever the header says."""

from pathlib import Path

import pytest

from iafactory.voice.probe import AudioTooLong, UnsupportedAudioError, probe_audio
from tests.voice.forged import concat_script, hls_playlist, silent_flac, speech_flac_claiming

CAP = 14_400.0

# The same English speech in every container an uploader is likely to send.
SAME_SPEECH = {
    "speech_en.wav": "pcm_s16le",
    "speech_en.mp3": "mp3",
    "speech_en.ogg": "opus",
    "speech_en.webm": "opus",
    "speech_en.m4a": "aac",
    "speech_en.flac": "flac",
}

NOT_AUDIO = {
    "not_audio.png": "not a decodable audio file",
    "not_audio.txt": "not a decodable audio file",
    "empty.wav": "empty",
    "header_only.wav": "no audio samples",
    "truncated.mp3": "truncated",
    "truncated.wav": "truncated",
}


@pytest.mark.parametrize(("name", "codec"), SAME_SPEECH.items())
def test_each_supported_format_is_accepted_with_its_codec(audio_dir: Path, name: str, codec: str) -> None:
    info = probe_audio(audio_dir / name, max_seconds=CAP)

    assert info.codec == codec
    assert info.channels == 1


@pytest.mark.parametrize("name", SAME_SPEECH)
def test_each_format_reports_the_duration_of_the_speech(audio_dir: Path, name: str) -> None:
    reference = probe_audio(audio_dir / "speech_en.wav", max_seconds=CAP).duration

    duration = probe_audio(audio_dir / name, max_seconds=CAP).duration

    assert duration == pytest.approx(reference, abs=0.1), f"{name}: {duration} s vs {reference} s"


def test_the_wav_reports_its_sample_rate(audio_dir: Path) -> None:
    info = probe_audio(audio_dir / "speech_en.wav", max_seconds=CAP)

    assert (info.sample_rate, info.container) == (16_000, "wav")


@pytest.mark.parametrize(("name", "reason"), NOT_AUDIO.items())
def test_files_that_are_not_audio_are_refused_with_a_reason(audio_dir: Path, name: str, reason: str) -> None:
    with pytest.raises(UnsupportedAudioError, match=reason):
        probe_audio(audio_dir / name, max_seconds=CAP)


def test_the_reason_does_not_reveal_where_the_file_is_stored(audio_dir: Path) -> None:
    with pytest.raises(UnsupportedAudioError) as refused:
        probe_audio(audio_dir / "not_audio.txt", max_seconds=CAP)

    assert str(audio_dir) not in refused.value.reason, "reasons are shown to uploaders"


def test_a_missing_file_is_our_bug_not_bad_audio(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe_audio(tmp_path / "never-stored.wav", max_seconds=CAP)


def test_hls_playlist_naming_a_local_file_is_refused_by_its_content(tmp_path: Path, audio_dir: Path) -> None:
    """FFmpeg would open the playlist and read the server-local MP3 it names as its audio."""
    playlist = tmp_path / "x.m3u8"
    playlist.write_bytes(hls_playlist(audio_dir / "speech_en.mp3"))

    with pytest.raises(UnsupportedAudioError, match="not a decodable audio file"):
        probe_audio(playlist, max_seconds=CAP)


def test_a_playlist_named_like_an_mp3_is_refused_too(tmp_path: Path, audio_dir: Path) -> None:
    disguised = tmp_path / "song.mp3"
    disguised.write_bytes(hls_playlist(audio_dir / "speech_en.mp3"))

    with pytest.raises(UnsupportedAudioError):
        probe_audio(disguised, max_seconds=CAP)


def test_concat_script_naming_a_local_file_is_refused(tmp_path: Path, audio_dir: Path) -> None:
    script = tmp_path / "x.ffconcat"
    script.write_bytes(concat_script(audio_dir / "speech_en.wav"))

    with pytest.raises(UnsupportedAudioError):
        probe_audio(script, max_seconds=CAP)


def test_the_file_name_does_not_choose_the_container(tmp_path: Path, audio_dir: Path) -> None:
    renamed = tmp_path / "recording.m3u8"
    renamed.write_bytes((audio_dir / "speech_en.ogg").read_bytes())

    assert probe_audio(renamed, max_seconds=CAP).container == "ogg", "an Ogg file is read as Ogg"


def test_a_header_claiming_one_second_is_only_a_declaration(tmp_path: Path) -> None:
    """The probe reports what the header says without decoding the rest; the worker counts."""
    forged = tmp_path / "forged.flac"
    forged.write_bytes(speech_flac_claiming(1.0))

    assert probe_audio(forged, max_seconds=CAP).duration == pytest.approx(1.0)


def test_audio_declared_longer_than_the_cap_is_refused_at_upload(tmp_path: Path) -> None:
    long = tmp_path / "long.flac"
    long.write_bytes(silent_flac(60))

    with pytest.raises(AudioTooLong, match="30 seconds"):
        probe_audio(long, max_seconds=30)
