"""Rows written straight into the tables (as an operator would, bypassing the API) so that
every awkward value appears: NULLs, timestamps with and without microseconds, equal
timestamps (the id breaks the tie), floats that are integral, tiny or repeating, strings
with quotes, control characters and non-ASCII text, a creator row-level security hides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from tests.support.graphql import Account

TRICKY = 'Réseaux « neuronaux » "cités" \\ \t\x01\x1f\x7f 😀 اصطناعي'
BASE = datetime(2025, 3, 30, 1, 0, 0, tzinfo=UTC)


@dataclass
class Seeded:
    account: Account
    projects: list[str]  # newest first
    documents: list[str]  # newest first
    transcriptions: list[str]  # newest first


def seed(database_url: str, account: Account, *, outsider: Account, scale: int = 1) -> Seeded:
    """`scale` multiplies the projects (7 each) for the page-size matrix."""
    with psycopg.connect(database_url, autocommit=True) as sql:
        sql.execute("UPDATE tenants SET plan = 'ENTERPRISE' WHERE id = %s", (account.tenant_id,))
        projects = [_project(sql, account, outsider, index) for index in range(7 * scale)]
        documents = [
            _document(sql, account, projects[index % 4] if index % 5 else None, index) for index in range(9)
        ]
        transcriptions = [_transcription(sql, account, projects, documents, index) for index in range(5)]
    newest_first = sorted(projects, key=lambda row: (row[1], row[0]), reverse=True)
    return Seeded(
        account,
        [row[0] for row in newest_first],
        [row[0] for row in sorted(documents, key=lambda row: (row[1], row[0]), reverse=True)],
        [row[0] for row in sorted(transcriptions, key=lambda row: (row[1], row[0]), reverse=True)],
    )


def _moment(index: int) -> datetime:
    """Every third row on a whole second (isoformat then has no fraction)."""
    micro = 0 if index % 3 == 0 else 120000 * (index % 7) + 7
    return BASE + timedelta(hours=index, microseconds=micro)


def _project(
    sql: psycopg.Connection, account: Account, outsider: Account, index: int
) -> tuple[str, datetime]:
    creator = [account.user_id, None, outsider.user_id][index % 3]
    description = [None, TRICKY, "", "plain"][index % 4]
    at = _moment(index if index != 4 else 3)  # projects 3 and 4 share a timestamp: the id decides
    row = sql.execute(
        "INSERT INTO projects (tenant_id, name, description, created_by, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s + interval '1 second') RETURNING id::text",
        (account.tenant_id, f"P{index} {TRICKY if index % 2 else 'simple'}", description, creator, at, at),
    ).fetchone()
    assert row is not None
    return row[0], at


def _document(
    sql: psycopg.Connection, account: Account, project: tuple[str, datetime] | None, index: int
) -> tuple[str, datetime]:
    at = _moment(index)
    row = sql.execute(
        "INSERT INTO documents"
        " (tenant_id, project_id, title, content, source, language, created_by, created_at)"
        f" VALUES ({', '.join(['%s'] * 8)}) RETURNING id::text",
        (
            account.tenant_id,
            project[0] if project else None,
            f"D{index} {TRICKY}",
            f"Contenu {index}\n{TRICKY}",
            "TRANSCRIPTION" if index % 4 == 3 else "TEXT",
            [None, "fr", "en"][index % 3],
            account.user_id if index % 2 else None,
            at,
        ),
    ).fetchone()
    assert row is not None
    return row[0], at


TRANSCRIPTIONS = [
    # status, progress, duration, text, error, attempts
    ("QUEUED", 0.0, None, None, None, 0),
    ("RUNNING", 1 / 3, 12.0, "partial", None, 1),
    ("COMPLETED", 1.0, 61.5, f"Bonjour {TRICKY}", None, 1),
    ("FAILED", 1e-05, 0.25, None, "The file is not audio.", 3),
    ("CANCELLED", 0.5, 2.0, "not shown unless COMPLETED", None, 1),
]


def _transcription(
    sql: psycopg.Connection,
    account: Account,
    projects: list[tuple[str, datetime]],
    documents: list[tuple[str, datetime]],
    index: int,
) -> tuple[str, datetime]:
    status, progress, duration, text, error, attempts = TRANSCRIPTIONS[index]
    at = _moment(index)
    running = status == "RUNNING"
    row = sql.execute(
        "INSERT INTO transcriptions (tenant_id, project_id, document_id, filename, language,"
        " detected_language, status, progress, duration, text, error, attempts, segment_count, worker_id,"
        " lease_expires_at, created_by, created_at, started_at, finished_at)"
        f" VALUES ({', '.join(['%s'] * 19)}) RETURNING id::text",
        (
            account.tenant_id,
            projects[0][0] if index % 2 == 0 else None,
            documents[0][0] if status == "COMPLETED" else None,
            f"clip-{index} {TRICKY}.wav",
            "fr" if index % 2 else None,
            "fr" if status == "COMPLETED" else None,
            status,
            progress,
            duration,
            text,
            error,
            attempts,
            3 if status == "COMPLETED" else 0,
            "worker-1" if running else None,
            at + timedelta(days=1) if running else None,
            account.user_id,
            at,
            at + timedelta(seconds=1) if status != "QUEUED" else None,
            at + timedelta(seconds=2, microseconds=500) if status in ("COMPLETED", "FAILED") else None,
        ),
    ).fetchone()
    assert row is not None
    return row[0], at
