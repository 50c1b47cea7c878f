"""`iafactory transcribe FILE`: the terminal client, through the public API (gql, real WebSocket)."""

from __future__ import annotations

import asyncio

from tests.conftest import GraphQLClient, Server, register
from tests.helpers import cli
from tests.voice_api.helpers import AUDIO, SPOKEN, word_recall


async def test_transcribe_prints_subtitles_of_the_file(voice_server: Server) -> None:
    owner = register(GraphQLClient(voice_server.graphql_url), name="terminal")
    done = await asyncio.to_thread(
        cli,
        "transcribe",
        str(AUDIO / "speech_en.m4a"),
        "--format",
        "srt",
        "--url",
        voice_server.graphql_url,
        "--token",
        owner.access_token,
        database_url=None,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1\n00:00:00,"), done.stdout
    assert word_recall(SPOKEN["en"], done.stdout) >= 0.8
    assert "COMPLETED" in done.stderr, "the progress bar (on stderr) ends at COMPLETED"


async def test_transcribe_reports_a_refused_file_in_one_line_and_fails(voice_server: Server) -> None:
    owner = register(GraphQLClient(voice_server.graphql_url), name="terminal")
    done = await asyncio.to_thread(
        cli,
        "transcribe",
        str(AUDIO / "not_audio.txt"),
        "--url",
        voice_server.graphql_url,
        "--token",
        owner.access_token,
        "--quiet",
        database_url=None,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].endswith("(UNSUPPORTED_MEDIA_TYPE)"), done.stderr
    assert done.stdout == ""


def test_transcribe_against_a_server_that_is_down_prints_one_line() -> None:
    done = cli(
        "transcribe",
        str(AUDIO / "speech_en.wav"),
        "--url",
        "http://127.0.0.1:9/graphql",
        "--token",
        "unused",
        "--quiet",
        database_url=None,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "iafactory: cannot reach http://127.0.0.1:9/graphql: All connection attempts failed"
    ], done.stderr
