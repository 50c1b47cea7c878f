"""Retrieval over the active tenant's chunks: full-text search, a trigram fallback for
misspelt words, and highlighted snippets.

One statement, inside the tenant's transaction (row-level security applies to every table
it reads). Each query word is read by the French, English and plain configurations
(app.word_query), so one query matches documents of either language. A word that is not
in the tenant's vocabulary (knowledge_words) is a likely typo or a word form no stemmer
links to the documents ("reconaissance", "neuronal"): pg_trgm finds its nearest vocabulary
words, which join the query as alternatives worth their similarity.

A passage scores, each part in 0..1:
- coverage: the share of the query's words it contains (a fuzzy alternative counts for its
  similarity, an exact or stemmed match for 1);
- rank: ts_rank_cd (cover density: matched words close together, title words weigh most),
  divided by the passage's length (so that repeating a word in a long passage does not beat
  a short passage about it), then mapped into 0..1 as rank / (rank + 1);
score = 0.8 coverage + 0.2 rank, one scale for the whole result list. A document scores as
its best passage, and its snippet comes from that passage.

Hybrid search (the default where semantic search is on) ranks by meaning first: candidates are
the passages nearest to the query's vector (app.nearest_chunks: HNSW, this tenant and model
only) plus the passages that contain more than half the query's words; a passage scores its
cosine similarity plus a bonus for matching the words, which only counts above a lexical score
of LEXICAL_THRESHOLD. Rank fusion, or any weight on partial word matches, hurt paraphrases
(a shared "jour" or "day" says little); matching every word of a short query (an identifier,
a name, a code) is strong evidence, and the bonus lets it win. Measured in bench/semantic.py.
A passage not embedded yet (of the UNEMBEDDED_DOCUMENTS documents queued last: just added) is
a candidate when it matches any word, and its lexical score stands in for its cosine.
score = (cosine + bonus) / (1 + weight); a score of 0 is no result.

The lexical half is bounded, so that a search costs about the same in a tenant of 100,000
passages where every query word is common. The bonus needs a lexical score above 0.6, hence
more than half the query's words, so the full-text index is asked only for such passages
(app.tsquery_at_least, app.chunks_matching): LEXICAL_CANDIDATES at most with all the words,
as many with more than half. Only those, the nearest passages and the unembedded ones are
scored (coverage and ts_rank_cd), never every passage that shares a word with the query.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from iafactory.db.database import Database
from iafactory.db.queries.documents import COLUMNS
from iafactory.knowledge.snippets import MATCH_END, MATCH_START

# Marks that cannot occur in the text (knowledge/snippets.py turns them into <b> and </b>).
HEADLINE_OPTIONS = (
    f"StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords=30, MinWords=12, ShortWord=2,"
    ' MaxFragments=2, FragmentDelimiter=" … "'
)
COVERAGE_WEIGHT = 0.8
RANK_WEIGHT = 0.2
# Nearest vocabulary words per unknown query word, and how similar they must be (0..1).
ALTERNATIVES = 3
MIN_SIMILARITY = 0.45
# Hybrid: the lexical bonus starts above this lexical score (about 3 query words in 4 matched)
# and weighs this much at most; the strongest lexical passages considered; nearest passages
# read per document asked for (a document may have several close passages).
LEXICAL_THRESHOLD = 0.6
LEXICAL_WEIGHT = 0.3
# Bounds on the lexical half of a hybrid search (its cost must not grow with the tenant):
# passages with most of the query's words, found by the full-text index; the query words
# (the longest) that index lookup uses; the latest documents still without vectors.
LEXICAL_CANDIDATES = 200
KEY_TERMS = 6
UNEMBEDDED_DOCUMENTS = 100
NEAREST_PER_HIT = 4
MIN_NEAREST = 40

_WORDS = f"""
WITH words AS (
  SELECT w.ordinality AS n, app.word_query(w.word) AS exact, app.fold(w.word) AS folded
    FROM unnest($2::text[]) WITH ORDINALITY AS w (word)
),
-- Known words first (one index probe each): only the others look for their nearest words.
unknown AS MATERIALIZED (
  SELECT words.n, words.folded FROM words
   WHERE $3 AND length(words.folded) >= 4
     AND NOT EXISTS (SELECT FROM knowledge_words AS known
                      WHERE known.tenant_id = $1 AND known.word = words.folded)
),
alternatives AS (
  SELECT words.n, app.tsquery_or_agg(app.word_query(near.word)) AS query, max(near.similarity) AS similarity
    FROM unknown AS words
   CROSS JOIN LATERAL (
     SELECT k.word, greatest(similarity(k.word, words.folded),
                             0.8 * word_similarity(words.folded, k.word)) AS similarity
       FROM knowledge_words AS k
      WHERE k.tenant_id = $1 AND (k.word % words.folded OR words.folded <% k.word)
      ORDER BY 2 DESC, k.word
      LIMIT {ALTERNATIVES}
   ) AS near
   WHERE near.similarity >= {MIN_SIMILARITY}
   GROUP BY words.n
),
terms AS (
  SELECT words.n, words.folded, words.exact, alternatives.query AS fuzzy,
         alternatives.similarity
    FROM words LEFT JOIN alternatives USING (n)
   WHERE words.exact IS NOT NULL OR alternatives.query IS NOT NULL
),
query AS (
  SELECT app.tsquery_or_agg(coalesce(exact || fuzzy, exact, fuzzy)) AS any_word, count(*) AS words
    FROM terms
)
"""
_LEXICAL_SCORE = f"""
  {COVERAGE_WEIGHT} * (SELECT sum(CASE WHEN c.search_vector @@ t.exact THEN 1
                                      WHEN c.search_vector @@ t.fuzzy THEN t.similarity
                                      ELSE 0 END) FROM terms AS t) / query.words
  + {RANK_WEIGHT} * ts_rank_cd(c.search_vector, query.any_word, 2 | 32)"""
# Every passage with a query word, through the full-text index (app.chunks_matching: under
# row-level security a plain `search_vector @@ query` cannot use it and reads every passage).
_MATCHING = """
    FROM query
   CROSS JOIN LATERAL app.chunks_matching($1, query.any_word, $4, NULL) AS m (chunk_id)
    JOIN document_chunks AS c ON c.tenant_id = $1 AND c.id = m.chunk_id"""
# The best passage of each candidate document, the best `first` documents, their snippets.
_BEST = f"""
best AS (
  SELECT DISTINCT ON (document_id) * FROM candidates ORDER BY document_id, score DESC, position
),
top AS (
  -- an unknown language was indexed as French and English: mark the French matches
  SELECT *, app.search_config(coalesce(language, 'fr')) AS config
    FROM best ORDER BY score DESC, document_id LIMIT $5
)
SELECT {", ".join(f"d.{column}" for column in COLUMNS.split(", "))}, top.score,
       ts_headline(top.config, translate(top.content, $6, ''), query.any_word, $7) AS snippet,
       top.content AS passage
  FROM top
  JOIN documents AS d ON d.tenant_id = $1 AND d.id = top.document_id
 CROSS JOIN query
 ORDER BY top.score DESC, d.id
"""

SEARCH = f"""
{_WORDS},
candidates AS (
  SELECT c.document_id, c.position, c.language, c.content, {_LEXICAL_SCORE} AS score
{_MATCHING}
),
{_BEST}"""

# $8: the query's vector (pgvector text), $9: its model, $10: how many nearest passages,
# $11: the weight of the lexical bonus (0: semantic only).
HYBRID = f"""
{_WORDS},
nearest AS (
  SELECT n.chunk_id, n.similarity FROM app.nearest_chunks($1, $9, $8::text::public.vector, $10, $4) AS n
),
-- Only a passage with more than half the query's words can earn the bonus; it then has at
-- least `need` of the KEY_TERMS longest words (the other words cannot make up the rest).
-- Those with all of them are looked up first: when thousands qualify, they are the best.
key_terms AS (
  SELECT array_agg(k.term ORDER BY k.r) AS terms,
         greatest(1, query.words / 2 + 1 - (query.words - count(*)))::integer AS need
    FROM (SELECT coalesce(exact || fuzzy, exact, fuzzy) AS term,
                 row_number() OVER (ORDER BY length(folded) DESC, n) AS r FROM terms) AS k, query
   WHERE k.r <= {KEY_TERMS} AND $11::float8 > 0
   GROUP BY query.words
),
matched AS (
  SELECT m.chunk_id FROM key_terms AS k
   CROSS JOIN LATERAL app.chunks_matching($1, app.tsquery_at_least(k.terms, cardinality(k.terms)), $4,
                                          {LEXICAL_CANDIDATES}) AS m (chunk_id)
  UNION
  SELECT m.chunk_id FROM key_terms AS k
   CROSS JOIN LATERAL app.chunks_matching($1, app.tsquery_at_least(k.terms, k.need), $4,
                                          {LEXICAL_CANDIDATES}) AS m (chunk_id)
   WHERE k.need < cardinality(k.terms)
),
-- Just added: passages of the latest documents still waiting for their vectors.
unembedded AS (
  SELECT c.id AS chunk_id
    FROM (SELECT j.document_id FROM embedding_jobs AS j WHERE j.tenant_id = $1 AND $11::float8 > 0
           ORDER BY j.queued_at DESC LIMIT {UNEMBEDDED_DOCUMENTS}) AS j
    JOIN document_chunks AS c ON c.tenant_id = $1 AND c.document_id = j.document_id
   CROSS JOIN query
   WHERE c.search_vector @@ query.any_word
     AND NOT EXISTS (SELECT FROM chunk_embeddings AS e
                      WHERE e.tenant_id = $1 AND e.chunk_id = c.id AND e.model = $9)
     AND ($4::uuid IS NULL OR EXISTS (SELECT FROM documents AS d WHERE d.tenant_id = $1
                                       AND d.id = c.document_id AND d.project_id = $4))
),
scored AS MATERIALIZED (
  SELECT k.chunk_id, c.document_id, c.position, c.language, c.content,
         CASE WHEN $11::float8 > 0 AND c.search_vector @@ query.any_word THEN {_LEXICAL_SCORE} END AS lexical
    FROM (SELECT chunk_id FROM nearest UNION SELECT chunk_id FROM matched
          UNION SELECT chunk_id FROM unembedded) AS k
    JOIN document_chunks AS c ON c.tenant_id = $1 AND c.id = k.chunk_id
   CROSS JOIN query
),
fused AS (
  SELECT s.document_id, s.position, s.language, s.content,
         greatest(0, (coalesce(n.similarity,
                               (SELECT -(e.embedding OPERATOR(public.<#>) $8::text::public.vector)
                                  FROM chunk_embeddings AS e
                                 WHERE e.tenant_id = $1 AND e.chunk_id = s.chunk_id AND e.model = $9),
                               s.lexical, 0)
                      + $11::float8 * greatest(0, coalesce(s.lexical, 0) - {LEXICAL_THRESHOLD})
                            / (1 - {LEXICAL_THRESHOLD})) / (1 + $11::float8)) AS score
    FROM scored AS s
    LEFT JOIN nearest AS n ON n.chunk_id = s.chunk_id
),
-- A score of 0 (no closer in meaning than unrelated text, no bonus from the words) is no result.
candidates AS (SELECT * FROM fused WHERE score > 0),
{_BEST}"""


@dataclass(frozen=True, slots=True)
class Meaning:
    """What hybrid and semantic search add to the words: the query's vector (pgvector text
    form), the model that made it, and the weight of the lexical bonus (0: meaning only)."""

    vector: str
    model: str
    lexical_weight: float = LEXICAL_WEIGHT


async def search(
    db: Database,
    *,
    tenant_id: UUID,
    words: list[str],
    fuzzy: bool,
    project_id: UUID | None,
    first: int,
    meaning: Meaning | None = None,
) -> list[asyncpg.Record]:
    """The best `first` documents for these query words (see iafactory.knowledge.query),
    best first: the document's columns plus `score`, the best `passage`, and a raw `snippet`
    of it whose matches sit between MATCH_START and MATCH_END. `fuzzy` turns the trigram
    fallback on. With `meaning`, hybrid (or semantic) ranking; without, lexical."""
    if first <= 0 or not words:
        return []
    common = (tenant_id, words, fuzzy, project_id, first, MATCH_START + MATCH_END, HEADLINE_OPTIONS)
    if meaning is None:
        return await db.fetch(SEARCH, *common)
    nearest = max(MIN_NEAREST, NEAREST_PER_HIT * first)
    return await db.fetch(HYBRID, *common, meaning.vector, meaning.model, nearest, meaning.lexical_weight)
