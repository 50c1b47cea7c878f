"""Retrieval over the active tenant's chunks: full-text search, trigram fallback, snippets.

One statement, inside the tenant's transaction (row-level security applies to every table
it reads). How a passage is scored, each part in 0..1:

- coverage: the share of the query's words that the passage contains, in any language
  (each word is read by the French, English and plain configurations: app.word_query);
- rank: ts_rank_cd (cover density: matched words close together, title words weigh most),
  normalised as rank / (rank + 1);
- similarity: pg_trgm word_similarity of the whole query to the passage, for short queries
  only; it finds misspelt and partial words ("reconaissance", "neuronal") that no stemmer
  maps to the passage's words.

score = 0.55 coverage + 0.30 rank + 0.15 similarity, so scores within one result list are
on one scale. A document scores as its best passage, and its snippet comes from that one.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from iafactory.db.queries.documents import COLUMNS
from iafactory.db.scope import Database
from iafactory.knowledge.snippets import MATCH_END, MATCH_START

# Marks that cannot occur in the text (knowledge/snippets.py turns them into <b> and </b>).
HEADLINE_OPTIONS = (
    f"StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords=30, MinWords=12, ShortWord=2,"
    ' MaxFragments=2, FragmentDelimiter=" … "'
)
WEIGHTS = {"coverage": 0.55, "rank": 0.30, "similarity": 0.15}

SEARCH = f"""
WITH terms AS (
  SELECT array_agg(word_query) AS word_queries, app.tsquery_or_agg(word_query) AS query
  FROM (SELECT app.word_query(word) AS word_query FROM unnest($2::text[]) AS word) AS words
  WHERE numnode(word_query) > 0
),
candidates AS (
  SELECT c.id FROM document_chunks AS c, terms
   WHERE c.tenant_id = $1 AND c.search_vector @@ terms.query
  UNION
  SELECT c.id FROM document_chunks AS c
   WHERE $3::text IS NOT NULL AND c.tenant_id = $1
     AND app.fold($3) <% app.fold(c.title || ' ' || c.content)
),
scored AS (
  SELECT c.document_id, c.position, c.language, c.content,
         {WEIGHTS["coverage"]} * coalesce(
           (SELECT count(*) FROM unnest(terms.word_queries) AS q WHERE c.search_vector @@ q)::float8
           / nullif(cardinality(terms.word_queries), 0), 0)
       + {WEIGHTS["rank"]} * coalesce(ts_rank_cd(c.search_vector, terms.query, 32), 0)
       + {WEIGHTS["similarity"]} * CASE WHEN $3::text IS NULL THEN 0
           ELSE word_similarity(app.fold($3), app.fold(c.title || ' ' || c.content)) END
         AS score
    FROM candidates
    JOIN document_chunks AS c ON c.tenant_id = $1 AND c.id = candidates.id
    JOIN documents AS d ON d.tenant_id = $1 AND d.id = c.document_id
   CROSS JOIN terms
   WHERE $4::uuid IS NULL OR d.project_id = $4
),
best AS (
  SELECT DISTINCT ON (document_id) * FROM scored ORDER BY document_id, score DESC, position
),
top AS (
  -- an unknown language was indexed as French and English: mark the French matches
  SELECT *, app.search_config(coalesce(language, 'fr')) AS config
    FROM best ORDER BY score DESC, document_id LIMIT $5
)
SELECT {", ".join(f"d.{column}" for column in COLUMNS.split(", "))}, top.score,
       ts_headline(top.config, translate(top.content, $6, ''),
                   coalesce(terms.query || fuzzy.query, terms.query, fuzzy.query), $7) AS snippet
  FROM top
  JOIN documents AS d ON d.tenant_id = $1 AND d.id = top.document_id
 CROSS JOIN terms
 -- the passage's words that the trigram fallback matched, so that they are marked too
 CROSS JOIN LATERAL (
   SELECT app.tsquery_or_agg(plainto_tsquery(top.config, token)) AS query
     FROM ts_parse('default', top.content)
    WHERE $3::text IS NOT NULL AND tokid IN (1, 2, 3) AND length(token) >= 3
      AND EXISTS (SELECT FROM unnest($2::text[]) AS word
                   WHERE word_similarity(app.fold(word), app.fold(token)) >= 0.6)
 ) AS fuzzy
 ORDER BY top.score DESC, d.id
"""


async def search(
    db: Database,
    *,
    tenant_id: UUID,
    words: list[str],
    fuzzy_text: str | None,
    project_id: UUID | None,
    first: int,
) -> list[asyncpg.Record]:
    """The best `first` documents for these query words (see iafactory.knowledge.query),
    best first: the document's columns plus `score` and a raw `snippet` whose matches sit
    between MATCH_START and MATCH_END."""
    if first <= 0 or not words:
        return []
    return await db.fetch(
        SEARCH,
        tenant_id,
        words,
        fuzzy_text,
        project_id,
        first,
        MATCH_START + MATCH_END,
        HEADLINE_OPTIONS,
    )
