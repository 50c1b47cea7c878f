"""What a search query means before it reaches PostgreSQL: its words, and whether to look
for misspelt ones by trigram similarity.

The words are handed to SQL one by one (each goes through `plainto_tsquery`, which has no
operators), so nothing a user types can change the shape of the text-search query.

    >>> terms = parse("Les réseaux de neurones?")
    >>> terms.words, terms.fuzzy
    (['réseaux', 'neurones'], True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from iafactory.knowledge.language import is_stop_word

# As PostgreSQL's parser reads them: a hyphen before digits belongs to the number, so the
# identifier "E-4012" is the words "e" and "-4012", exactly as it was indexed.
WORD = re.compile(r"-\d+|\w+", re.UNICODE)
MAX_QUERY_CHARS = 500
MAX_WORDS = 32
# The trigram fallback is for short queries (a name, a misspelt word, a word being typed);
# in a long question, the other words carry the meaning and alternatives would add noise.
MAX_FUZZY_WORDS = 6


@dataclass(frozen=True, slots=True)
class SearchTerms:
    words: list[str]
    fuzzy: bool  # look for the nearest known words of unknown ones (short queries only)


def parse(query: str) -> SearchTerms:
    """The query's meaningful words, lowercased, in order, without repeats.

    Function words ("the", "les") are dropped unless the query has nothing else. Raises
    ValueError when the query has no word at all or is too long.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"A search query is at most {MAX_QUERY_CHARS} characters.")
    found = list(dict.fromkeys(word.lower() for word in WORD.findall(query)))
    words = [word.strip("_") for word in found if word.strip("_")]
    if not words:
        raise ValueError("A search query needs at least one word.")
    meaningful = [word for word in words if not is_stop_word(word)] or words
    return SearchTerms(words=meaningful[:MAX_WORDS], fuzzy=len(meaningful) <= MAX_FUZZY_WORDS)
