"""Splitting a document into passages that a search hit can point at.

Paragraphs (separated by a blank line) are the natural unit: short ones are packed together
up to `max_chars`, a long one is cut at sentence ends, an overlong sentence between words,
and a word longer than the bound (a URL, base64) anywhere. Every chunk is an exact slice of
the text (`text[start:start + len(chunk.text)]`), so a hit can be shown in place.

    >>> [c.text for c in chunk_text("First paragraph.\\n\\nSecond one.", max_chars=20)]
    ['First paragraph.', 'Second one.']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

DEFAULT_MAX_CHARS = 1200
PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
SENTENCE_END = re.compile(r"(?<=[.!?…;:])\s+")
WHITESPACE = re.compile(r"\s+")

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Chunk:
    position: int  # 0, 1, 2... in document order
    start: int  # offset of the first character in the document's text
    text: str


def chunk_text(text: str, *, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """The passages of `text`, in order, each 1 to `max_chars` characters, none blank."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    chunks: list[Chunk] = []
    current: Span | None = None
    for unit in _units(text, max_chars):
        if current is not None and unit[1] - current[0] <= max_chars:
            current = (current[0], unit[1])  # pack: the span includes the break between them
            continue
        if current is not None:
            chunks.append(Chunk(len(chunks), current[0], text[current[0] : current[1]]))
        current = unit
    if current is not None:
        chunks.append(Chunk(len(chunks), current[0], text[current[0] : current[1]]))
    return chunks


def _units(text: str, max_chars: int) -> Iterator[Span]:
    """Non-blank spans no longer than `max_chars`, cut at the largest boundary that fits."""
    for paragraph in _split(text, (0, len(text)), PARAGRAPH_BREAK):
        yield from _bounded(text, paragraph, max_chars, (SENTENCE_END, WHITESPACE))


def _bounded(
    text: str, span: Span, max_chars: int, separators: tuple[re.Pattern[str], ...]
) -> Iterator[Span]:
    if span[1] - span[0] <= max_chars:
        yield span
        return
    if not separators:  # one unbreakable word: cut it every max_chars characters
        for start in range(span[0], span[1], max_chars):
            yield from _split(text, (start, min(start + max_chars, span[1])), None)
        return
    pieces = list(_split(text, span, separators[0]))
    packed: Span | None = None
    for piece in pieces:
        if packed is not None and piece[1] - packed[0] <= max_chars:
            packed = (packed[0], piece[1])
            continue
        if packed is not None:
            yield from _bounded(text, packed, max_chars, separators[1:])
        packed = piece
    if packed is not None:
        yield from _bounded(text, packed, max_chars, separators[1:])


def _split(text: str, span: Span, separator: re.Pattern[str] | None) -> Iterator[Span]:
    """The non-blank pieces of text[span] between separators, trimmed of whitespace."""
    start, end = span
    cuts = [] if separator is None else [(m.start(), m.end()) for m in separator.finditer(text, start, end)]
    for piece_start, piece_end in zip(
        [start] + [cut[1] for cut in cuts], [cut[0] for cut in cuts] + [end], strict=True
    ):
        while piece_start < piece_end and text[piece_start].isspace():
            piece_start += 1
        while piece_end > piece_start and text[piece_end - 1].isspace():
            piece_end -= 1
        if piece_start < piece_end:
            yield piece_start, piece_end
