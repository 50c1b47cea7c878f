"""The knowledge package's pure text processing: chunking, language detection, query words."""

import pytest

from iafactory.knowledge import language, query, snippets
from iafactory.knowledge.chunking import chunk_text


def test_short_paragraphs_are_packed_into_one_passage() -> None:
    text = "Premier paragraphe.\n\nSecond paragraphe.\n\nTroisième."
    assert [c.text for c in chunk_text(text, max_chars=100)] == [text]


def test_paragraphs_are_not_split_when_they_fit_but_never_exceed_the_bound() -> None:
    text = "A" * 30 + "\n\n" + "B" * 30 + "\n\n" + "C" * 30
    assert [c.text for c in chunk_text(text, max_chars=64)] == ["A" * 30 + "\n\n" + "B" * 30, "C" * 30]


def test_a_long_paragraph_is_cut_at_sentence_ends() -> None:
    text = "Une phrase courte. " * 10
    chunks = chunk_text(text, max_chars=60)
    assert all(c.text.endswith(".") and len(c.text) <= 60 for c in chunks), chunks


def test_an_unbreakable_word_is_cut_at_the_bound() -> None:
    chunks = chunk_text("x" * 250, max_chars=100)
    assert [len(c.text) for c in chunks] == [100, 100, 50]


def test_every_passage_is_an_exact_slice_of_the_text_in_order() -> None:
    text = "  Intro.\n\n\n" + "Mot " * 500 + "\n \n" + "Fin. " * 3 + "\n"
    chunks = chunk_text(text, max_chars=120)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(text[c.start : c.start + len(c.text)] == c.text for c in chunks)
    assert all(c.text.strip() == c.text and c.text for c in chunks)
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


def test_blank_text_has_no_passage() -> None:
    assert chunk_text(" \n\n \t") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Les réseaux de neurones profonds transforment la reconnaissance vocale.", "fr"),
        ("She runs every morning before work, rain or shine.", "en"),
        ("Le rapport cite « The Art of Computer Programming » comme référence.", "fr"),
        ("Kubernetes", None),
        ("", None),
    ],
)
def test_the_language_is_told_from_function_words(text: str, expected: str | None) -> None:
    assert language.detect(text) == expected


@pytest.mark.parametrize(
    ("tag", "code"), [("fr", "fr"), ("FR", "fr"), ("en-US", "en"), ("pt_BR", "pt"), ("kab", "kab")]
)
def test_language_tags_become_iso_639_codes(tag: str, code: str) -> None:
    assert language.normalise(tag) == code


@pytest.mark.parametrize("tag", ["", "f", "français", "12", "en--"])
def test_other_language_values_are_refused(tag: str) -> None:
    with pytest.raises(ValueError, match=tag or "^$"):
        language.normalise(tag)


def test_query_words_drop_function_words_and_repeats() -> None:
    terms = query.parse("Les réseaux, les RÉSEAUX et the networks?")
    assert terms.words == ["réseaux", "networks"]
    assert terms.fuzzy


def test_a_query_of_function_words_only_keeps_them() -> None:
    assert query.parse("the").words == ["the"]


def test_a_long_query_skips_the_trigram_fallback() -> None:
    assert not query.parse("réseau " + " ".join(f"mot{n}" for n in range(20))).fuzzy


def test_snippets_escape_html_and_turn_marks_into_bold_tags() -> None:
    raw = f"x < y & {snippets.MATCH_START}réseaux{snippets.MATCH_END}"
    assert snippets.render(raw, fallback="") == "x &lt; y &amp; <b>réseaux</b>"
