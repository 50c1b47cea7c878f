"""Render transcript segments as SubRip (.srt), WebVTT (.vtt) or plain text.

Example:
    >>> print(to_srt([Segment(start=0.0, end=2.5, text="Hello.")]))
    1
    00:00:00,000 --> 00:00:02,500
    Hello.
    <BLANKLINE>
"""

from collections.abc import Iterable
from typing import Protocol


class TimedText(Protocol):
    """A transcriber Segment, or a stored row with the same fields."""

    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def text(self) -> str: ...


def to_srt(segments: Iterable[TimedText]) -> str:
    cues = (
        f"{number}\n{_timestamp(s.start, ',')} --> {_timestamp(s.end, ',')}\n{_cue_text(s.text)}\n"
        for number, s in enumerate(segments, start=1)
    )
    return "\n".join(cues)


def to_vtt(segments: Iterable[TimedText]) -> str:
    # "-->" inside a cue would end it early; WebVTT has no escape for it.
    cues = (
        f"{_timestamp(s.start, '.')} --> {_timestamp(s.end, '.')}\n{_cue_text(s.text).replace('-->', '->')}\n"
        for s in segments
    )
    return "\n".join(["WEBVTT\n", *cues])


def to_text(segments: Iterable[TimedText]) -> str:
    """One line per segment, as a reader would want to skim it."""
    return "".join(f"{s.text.strip()}\n" for s in segments if s.text.strip())


def _cue_text(text: str) -> str:
    # A blank line ends a cue in both formats, so collapse line breaks inside one segment.
    return " ".join(text.split())


def _timestamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"
