"""Which language a text is written in, from its most common words (no dependency, no model).

Good enough to pick a stemmer: French and English differ sharply in their function words, so
counting them settles any text of a sentence or more. Anything else, or a text too short to
tell, is None and gets indexed for both languages (see migrations/versions/0002_knowledge.py).

    >>> detect("Les réseaux de neurones transforment la reconnaissance vocale.")
    'fr'
    >>> detect("The model runs on a single GPU.")
    'en'
    >>> detect("Kubernetes") is None
    True
"""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# Function words only (no word that both languages use, such as "a", "on", "son" or "est").
_FRENCH = """
    au aux avec ce ces cette dans de des du elle elles et eux il ils je la le les leur leurs
    lui mais même mes moi mon ne nos notre nous ou où par pas pour qu que qui sa se ses sur
    ta te tes toi ton tu un une vos votre vous été être avoir sont était ont très aussi
    comme plus sans entre dont cela ceci chez donc puis ainsi alors tout tous toutes
    quand d l c j n s y à ça
"""
_ENGLISH = """
    the and of to in is are was were be been being that this these those it its with for as
    by from at or but not have has had do does did which who whom what when where why how
    their there they them he she his her we our you your i my me an will would can could
    should shall may might must than then so if into about over after before between through
    each all any both more most other some such only own same too very just also
"""
FRENCH_STOP_WORDS = frozenset(_FRENCH.split())
ENGLISH_STOP_WORDS = frozenset(_ENGLISH.split())
# Letters that English text almost never contains.
FRENCH_LETTERS = frozenset("éèêëàâçîïôûùœ")

SUPPORTED = ("fr", "en")


def detect(text: str, *, sample_chars: int = 20_000) -> str | None:
    """'fr', 'en', or None when the text gives too little evidence either way."""
    sample = text[:sample_chars].lower()
    french = english = 0
    for word in WORD.findall(sample):
        if word in FRENCH_STOP_WORDS:
            french += 1
        elif word in ENGLISH_STOP_WORDS:
            english += 1
    french += sum(1 for char in sample if char in FRENCH_LETTERS)
    # A clear majority: a French text quoting an English title stays French.
    if french > 1.5 * english:
        return "fr"
    if english > 1.5 * french:
        return "en"
    return None  # no evidence at all, or too close to call


LANGUAGE_CODE = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{2,8})*$")


def normalise(code: str) -> str:
    """An ISO 639 language code from what a client sent ('FR', 'fr-FR', 'en_US' -> 'fr', 'en').

    Raises ValueError for anything that is not a language tag.
    """
    match = LANGUAGE_CODE.match(code.strip().lower())
    if match is None:
        raise ValueError(code)
    return match.group(1)


def is_stop_word(word: str) -> bool:
    """A function word of either language: it carries no meaning in a search query."""
    return word in FRENCH_STOP_WORDS or word in ENGLISH_STOP_WORDS
