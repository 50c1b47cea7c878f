"""probe_audio: accept what PyAV can decode, refuse everything else with a reason."""

from pathlib import Path

import pytest

from iafactory.voice.probe import UnsupportedAudioError, probe_audio

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
    "not_audio.png": "no audio stream",
    "not_audio.txt": "not a decodable audio file",
    "empty.wav": "empty",
    "header_only.wav": "no audio samples",
    "truncated.mp3": "truncated",
    "truncated.wav": "truncated",
}


@pytest.mark.parametrize(("name", "codec"), SAME_SPEECH.items())
def test_each_supported_format_is_accepted_with_its_codec(audio_dir: Path, name: str, codec: str) -> None:
    info = probe_audio(audio_dir / name)

    assert info.codec == codec
    assert info.channels == 1


@pytest.mark.parametrize("name", SAME_SPEECH)
def test_each_format_reports_the_duration_of_the_speech(audio_dir: Path, name: str) -> None:
    reference = probe_audio(audio_dir / "speech_en.wav").duration

    duration = probe_audio(audio_dir / name).duration

    assert duration == pytest.approx(reference, abs=0.1), f"{name}: {duration} s vs {reference} s"


def test_the_wav_reports_its_sample_rate(audio_dir: Path) -> None:
    info = probe_audio(audio_dir / "speech_en.wav")

    assert (info.sample_rate, info.container) == (16_000, "wav")


@pytest.mark.parametrize(("name", "reason"), NOT_AUDIO.items())
def test_files_that_are_not_audio_are_refused_with_a_reason(audio_dir: Path, name: str, reason: str) -> None:
    with pytest.raises(UnsupportedAudioError, match=reason):
        probe_audio(audio_dir / name)


def test_the_reason_does_not_reveal_where_the_file_is_stored(audio_dir: Path) -> None:
    with pytest.raises(UnsupportedAudioError) as refused:
        probe_audio(audio_dir / "not_audio.txt")

    assert str(audio_dir) not in refused.value.reason, "reasons are shown to uploaders"


def test_a_missing_file_is_our_bug_not_bad_audio(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe_audio(tmp_path / "never-stored.wav")
