"""Subtitle rendering: SubRip, WebVTT and plain text from transcript segments."""

from iafactory.voice.subtitles import to_srt, to_text, to_vtt
from iafactory.voice.transcriber import Segment

SEGMENTS = [
    Segment(start=0.5, end=4.25, text="Voice recognition turns speech into text."),
    Segment(start=4.25, end=3725.002, text=" Over an hour later. "),
]


def test_srt_numbers_cues_and_uses_a_comma_before_milliseconds() -> None:
    assert to_srt(SEGMENTS) == (
        "1\n"
        "00:00:00,500 --> 00:00:04,250\n"
        "Voice recognition turns speech into text.\n"
        "\n"
        "2\n"
        "00:00:04,250 --> 01:02:05,002\n"
        "Over an hour later.\n"
    )


def test_vtt_has_a_header_and_uses_a_dot_before_milliseconds() -> None:
    assert to_vtt(SEGMENTS) == (
        "WEBVTT\n"
        "\n"
        "00:00:00.500 --> 00:00:04.250\n"
        "Voice recognition turns speech into text.\n"
        "\n"
        "00:00:04.250 --> 01:02:05.002\n"
        "Over an hour later.\n"
    )


def test_plain_text_puts_one_segment_per_line() -> None:
    assert to_text(SEGMENTS) == "Voice recognition turns speech into text.\nOver an hour later.\n"


def test_line_breaks_inside_a_segment_cannot_end_a_cue_early() -> None:
    segment = Segment(start=0.0, end=1.0, text="first line\n\nsecond --> line")

    assert "first line second -> line\n" in to_vtt([segment])
    assert "first line second --> line\n" in to_srt([segment])


def test_no_segments_give_an_empty_but_valid_file() -> None:
    assert to_srt([]) == ""
    assert to_vtt([]) == "WEBVTT\n"
    assert to_text([]) == ""
