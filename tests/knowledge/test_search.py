"""searchKnowledge: French and English matching, snippets, ranking, narrowing to a project.

Hybrid by default (where pgvector is installed, semantic search adds the passages nearest in
meaning): a test of what the words alone match asks for mode LEXICAL.
"""

from typing import Any

import pytest

from tests.support.graphql import Account, GraphQLClient, error_codes, register

SEARCH = """
query($q: String!, $p: ID, $first: Int, $mode: SearchMode) {
  searchKnowledge(query: $q, projectId: $p, first: $first, mode: $mode) {
    score snippet document { id title language project { id } }
  }
}
"""
ADD = "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id language } }"
FRENCH = "Les réseaux de neurones profonds transforment la reconnaissance vocale."
ENGLISH = "She runs every morning before work, rain or shine."


def add(client: GraphQLClient, owner: Account, title: str, content: str, **extra: Any) -> str:
    document: str = client.data(
        ADD, {"i": {"title": title, "content": content, **extra}}, token=owner.access_token
    )["addDocument"]["id"]
    return document


def search(client: GraphQLClient, owner: Account, query: str, **variables: Any) -> list[dict[str, Any]]:
    hits: list[dict[str, Any]] = client.data(SEARCH, {"q": query, **variables}, token=owner.access_token)[
        "searchKnowledge"
    ]
    return hits


@pytest.fixture(scope="module")
def library(client: GraphQLClient) -> dict[str, Any]:
    """One tenant with the issue's French sentence, an English one and a few neighbours."""
    owner = register(client, name="library")
    project = client.data(
        'mutation { createProject(input: {name: "Voix"}) { id } }', token=owner.access_token
    )["createProject"]["id"]
    ids = {
        "french": add(client, owner, "Voix", FRENCH, projectId=project),
        "english": add(client, owner, "Morning routine", ENGLISH),
        "models_fr": add(client, owner, "Modèles", "Les modèles de langue génèrent du texte."),
        "models_en": add(client, owner, "Models", "Language models generate text one token at a time."),
        "escaping": add(client, owner, "Seuils", "Une alerte part si x < 5 & y > 2 : le seuil est bas."),
    }
    return {"owner": owner, "project": project, "ids": ids}


@pytest.mark.parametrize(
    "query", ["réseau", "reseaux", "neuronal", "reconnaissance", "RECONNAISSANCE vocale"]
)
def test_the_french_example_is_found_by_inflections_accentless_and_related_words(
    client: GraphQLClient, library: dict[str, Any], query: str
) -> None:
    hits = search(client, library["owner"], query)
    assert hits, f"{query!r} found nothing"
    assert hits[0]["document"]["id"] == library["ids"]["french"], f"{query!r} ranked {hits[0]} first"


def test_english_stemming_finds_runs_for_running(client: GraphQLClient, library: dict[str, Any]) -> None:
    hits = search(client, library["owner"], "running", mode="LEXICAL")
    assert [hit["document"]["id"] for hit in hits] == [library["ids"]["english"]]
    assert "<b>runs</b>" in hits[0]["snippet"], hits[0]["snippet"]


def test_languages_are_detected_when_documents_are_added(
    library: dict[str, Any], client: GraphQLClient
) -> None:
    hits = (
        search(client, library["owner"], "reconnaissance")[:1]
        + search(client, library["owner"], "running")[:1]
    )
    assert [hit["document"]["language"] for hit in hits] == ["fr", "en"]


def test_one_query_matches_documents_in_both_languages(
    client: GraphQLClient, library: dict[str, Any]
) -> None:
    found = {hit["document"]["id"] for hit in search(client, library["owner"], "modèles")}
    assert {library["ids"]["models_fr"], library["ids"]["models_en"]} <= found, (
        "a query is read with the French and the English stemmers both"
    )


def test_snippets_mark_the_matched_words(client: GraphQLClient, library: dict[str, Any]) -> None:
    snippet = search(client, library["owner"], "reseau vocal")[0]["snippet"]
    assert "<b>réseaux</b>" in snippet, snippet
    assert "<b>vocale</b>" in snippet, snippet


def test_a_misspelt_word_is_found_by_trigram_similarity_and_marked(
    client: GraphQLClient, library: dict[str, Any]
) -> None:
    hits = search(client, library["owner"], "reconaissance")
    assert hits, "no stemmer maps a misspelling: the trigram fallback must find it"
    assert hits[0]["document"]["id"] == library["ids"]["french"]
    assert "<b>reconnaissance</b>" in hits[0]["snippet"], hits[0]["snippet"]


def test_snippets_are_html_escaped_around_the_marks(client: GraphQLClient, library: dict[str, Any]) -> None:
    snippet = search(client, library["owner"], "seuil")[0]["snippet"]
    assert "&lt; 5 &amp; y &gt; 2" in snippet, snippet
    assert snippet.replace("<b>", "").replace("</b>", "").count("<") == 0, snippet


def test_hits_come_best_first_with_scores_between_0_and_1(
    client: GraphQLClient, library: dict[str, Any]
) -> None:
    hits = search(client, library["owner"], "modèles de langue texte")
    scores = [hit["score"] for hit in hits]
    assert len(hits) >= 2
    assert scores == sorted(scores, reverse=True), scores
    assert all(0 < score <= 1 for score in scores), scores
    assert hits[0]["document"]["id"] == library["ids"]["models_fr"], "all three words beat two"


def test_search_can_be_narrowed_to_one_project(client: GraphQLClient, library: dict[str, Any]) -> None:
    owner, project = library["owner"], library["project"]
    assert {hit["document"]["project"]["id"] for hit in search(client, owner, "reseau", p=project)} == {
        project
    }
    assert search(client, owner, "running", p=project, mode="LEXICAL") == [], (
        "the English document is in no project"
    )
    assert {hit["document"]["project"]["id"] for hit in search(client, owner, "running", p=project)} <= {
        project
    }, "nor does meaning reach outside the project"


def test_first_limits_the_number_of_hits(client: GraphQLClient, library: dict[str, Any]) -> None:
    assert len(search(client, library["owner"], "texte", first=1)) == 1
    assert search(client, library["owner"], "texte", first=0) == []


def test_a_hit_in_a_long_document_points_at_the_matching_passage(client: GraphQLClient) -> None:
    owner = register(client, name="long")
    paragraphs = [
        f"Paragraphe {n} : rien de particulier ici, du texte de remplissage." * 4 for n in range(40)
    ]
    paragraphs[33] = "Le mot rare est zymotechnie, au milieu du document."
    add(client, owner, "Long", "\n\n".join(paragraphs))
    snippet = search(client, owner, "zymotechnie")[0]["snippet"]
    assert "<b>zymotechnie</b>" in snippet, snippet
    assert "Paragraphe 0" not in snippet, f"the snippet comes from the first passage: {snippet}"


def test_query_syntax_characters_are_plain_text(client: GraphQLClient, library: dict[str, Any]) -> None:
    hits = search(client, library["owner"], "réseau & | ! :* ' ( <->")
    assert hits[0]["document"]["id"] == library["ids"]["french"]


@pytest.mark.parametrize(
    ("variables", "why"),
    [
        ({"q": ""}, "an empty query"),
        ({"q": " ?! "}, "a query without a word"),
        ({"q": "mot " * 200}, "a query over 500 characters"),
        ({"q": "réseau", "first": 101}, "first above 100"),
        ({"q": "réseau", "first": -1}, "a negative first"),
        ({"q": "réseau", "p": "not-a-uuid"}, "a malformed projectId"),
    ],
)
def test_bad_search_input_is_bad_user_input(
    client: GraphQLClient, library: dict[str, Any], variables: dict[str, Any], why: str
) -> None:
    body = client.execute(SEARCH, variables, token=library["owner"].access_token)
    assert error_codes(body) == ["BAD_USER_INPUT"], f"{why}: {body}"


def test_search_needs_a_signed_in_caller(client: GraphQLClient) -> None:
    assert error_codes(client.execute(SEARCH, {"q": "réseau"})) == ["UNAUTHENTICATED"]
