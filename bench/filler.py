"""Realistic filler text for benchmarks at scale: real prose, varied, unrelated to the tests' corpora.

English: paragraphs of the docstrings of Python's standard library (every Python install has
them; a natural, Zipf-distributed technical vocabulary). French: the French translations of
the messages of the programs installed here (/usr/share/locale/fr/LC_MESSAGES/*.mo, read with
`gettext`), joined into paragraphs; where there are none, the filler is English only (said).
A passage is two such paragraphs, so that 100,000 distinct passages come from a few thousand.

    >>> english, french = paragraphs(limit=2000)
    >>> 200 <= len(english[0]) <= 700
    True
"""

from __future__ import annotations

import ast
import gettext
import random
import re
import sysconfig
from pathlib import Path

LOCALE = Path("/usr/share/locale/fr/LC_MESSAGES")
MIN_CHARS, MAX_CHARS = 120, 400


def _docstrings(limit: int, seed: int) -> list[str]:
    files = sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py"))
    files = [f for f in files if not {"test", "tests", "idlelib", "site-packages"} & set(f.parts)]
    random.Random(seed).shuffle(files)
    found: list[str] = []
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                for part in re.split(r"\n\s*\n", ast.get_docstring(node) or ""):
                    text = " ".join(part.split())
                    if MIN_CHARS <= len(text) <= MAX_CHARS and not text.startswith((">>>", "..", "-", "=")):
                        found.append(text)
        if len(found) >= limit:
            break
    return found[:limit]


def _french(limit: int, seed: int) -> list[str]:
    messages: set[str] = set()
    for path in sorted(LOCALE.glob("*.mo")):
        try:
            with path.open("rb") as file:
                catalog = gettext.GNUTranslations(file)
        except (OSError, ValueError, UnicodeDecodeError):  # a broken catalog: skip it
            continue
        for key, value in catalog._catalog.items():
            text = " ".join(str(value).split())
            if key and isinstance(value, str) and 30 <= len(text) <= 300 and "%" not in text:
                messages.add(text)
    ordered = sorted(messages)
    random.Random(seed).shuffle(ordered)
    out, current = [], ""
    for message in ordered:
        current = f"{current} {message.rstrip('.')}." if current else f"{message.rstrip('.')}."
        if len(current) >= MIN_CHARS:
            out.append(current)
            current = ""
            if len(out) >= limit:
                break
    return out


def paragraphs(*, limit: int, seed: int = 11) -> tuple[list[str], list[str]]:
    """(English, French) paragraphs of MIN_CHARS..MAX_CHARS-ish, up to `limit` of each."""
    return _docstrings(limit, seed), _french(limit, seed)
