"""Uploads built to overbill, exhaust or read the server: each is refused at upload, or stopped
by the worker, with a clear reason, and the tenant is billed only what was really decoded.

Refusals at upload run on the shared server (no workers); jobs run on the voice server
(tiny.en, IAFACTORY_MAX_AUDIO_SECONDS=300).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.graphql import GraphQLClient, error_codes, register
from tests.support.server import Server
from tests.voice.forged import concat_script, hls_playlist, silent_flac, speech_flac_claiming
from tests.voice_api.helpers import (
    AUDIO,
    MAX_AUDIO_SECONDS,
    job_rows,
    run_to_the_end,
    set_month_audio_quota,
    superuser_value,
    upload,
    uploaded_id,
)

USAGE = "{ usage { audioSecondsThisMonth } }"


def billed(client: GraphQLClient, token: str) -> float:
    return float(client.data(USAGE, token=token)["usage"]["audioSecondsThisMonth"])


def test_hls_playlist_upload_cannot_read_local_files(
    server: Server, client: GraphQLClient, database_url: str
) -> None:
    """`x.m3u8` naming an MP3 on the server's disk: FFmpeg would have read that file as the upload."""
    eve = register(client, name="playlist")
    response = upload(
        server.graphql_url, eve.access_token, hls_playlist(AUDIO / "speech_en.mp3"), filename="x.m3u8"
    )
    assert error_codes(response.json()) == ["UNSUPPORTED_MEDIA_TYPE"], response.text
    assert job_rows(database_url, eve.tenant_id) == (0, 0), "nothing was queued or stored"


def test_hls_playlist_naming_etc_passwd_is_refused_without_touching_it(
    server: Server, client: GraphQLClient, database_url: str
) -> None:
    eve = register(client, name="passwd")
    response = upload(
        server.graphql_url, eve.access_token, hls_playlist(Path("/etc/passwd")), filename="p.m3u8"
    )
    assert error_codes(response.json()) == ["UNSUPPORTED_MEDIA_TYPE"]
    assert "passwd" not in response.text, "the reason names no server path"


def test_concat_script_upload_cannot_read_local_files(
    server: Server, client: GraphQLClient, database_url: str
) -> None:
    eve = register(client, name="concat")
    response = upload(
        server.graphql_url, eve.access_token, concat_script(AUDIO / "speech_en.wav"), filename="x.ffconcat"
    )
    assert error_codes(response.json()) == ["UNSUPPORTED_MEDIA_TYPE"], response.text
    assert job_rows(database_url, eve.tenant_id) == (0, 0)


def test_audio_declared_longer_than_the_cap_is_refused_at_upload(
    voice_server: Server, voice_database_url: str
) -> None:
    client = GraphQLClient(voice_server.graphql_url)
    owner = register(client, name="too-long")
    response = upload(
        voice_server.graphql_url,
        owner.access_token,
        silent_flac(MAX_AUDIO_SECONDS + 60),
        filename="long.flac",
    )
    assert error_codes(response.json()) == ["PAYLOAD_TOO_LARGE"]
    assert f"{MAX_AUDIO_SECONDS} seconds" in response.json()["errors"][0]["message"]
    assert job_rows(voice_database_url, owner.tenant_id) == (0, 0)


async def test_header_claiming_one_second_does_not_bypass_the_audio_quota(
    voice_server: Server, voice_database_url: str
) -> None:
    """23 s of speech whose FLAC header says 1 s, against a quota of 5 s: the upload passes on
    the header, the worker counts what it decodes and stops the job before transcribing it."""
    client = GraphQLClient(voice_server.graphql_url)
    owner = register(client, name="forger")
    set_month_audio_quota(voice_database_url, owner.tenant_id, 5)
    response = upload(
        voice_server.graphql_url, owner.access_token, speech_flac_claiming(1.0), filename="a.flac"
    )
    assert response.json()["data"]["transcribeAudio"]["duration"] == pytest.approx(1.0), (
        "accepted on its header"
    )

    final = await run_to_the_end(voice_server.ws_url, owner.access_token, uploaded_id(response))

    assert final["status"] == "FAILED", final
    assert "header declared (1.0 s)" in final["error"]
    assert "at most 5 seconds of audio per month" in final["error"]
    assert final["segmentCount"] == 0, "nothing was transcribed"
    assert billed(client, owner.access_token) == 0.0, "a stopped job is not billed"


async def test_header_claiming_one_second_is_billed_what_was_decoded(
    voice_server: Server, voice_database_url: str
) -> None:
    """With room left in the month the same file is transcribed, and billed its real 23 s."""
    client = GraphQLClient(voice_server.graphql_url)
    owner = register(client, name="undersold")
    response = upload(
        voice_server.graphql_url, owner.access_token, speech_flac_claiming(1.0), filename="a.flac"
    )
    job_id = uploaded_id(response)

    final = await run_to_the_end(voice_server.ws_url, owner.access_token, job_id)

    assert final["status"] == "COMPLETED", final
    duration = superuser_value(
        voice_database_url, "SELECT duration FROM transcriptions WHERE id = $1", job_id
    )
    assert duration == pytest.approx(23.3, abs=0.1)
    assert billed(client, owner.access_token) == pytest.approx(duration)


async def test_flac_of_silence_claiming_one_second_is_stopped_at_the_audio_cap(
    voice_server: Server, voice_database_url: str
) -> None:
    """Twenty minutes of silence in 1 MB, header saying 1 s (the 25 MiB version holds 38 h and
    was decoded whole into ~8.8 GB): decoding stops at the cap and the job fails unbilled."""
    client = GraphQLClient(voice_server.graphql_url)
    owner = register(client, name="silence")
    response = upload(
        voice_server.graphql_url, owner.access_token, silent_flac(1200, claiming=1.0), filename="s.flac"
    )

    final = await run_to_the_end(voice_server.ws_url, owner.access_token, uploaded_id(response))

    assert final["status"] == "FAILED", final
    assert (
        final["error"]
        == f"The audio is longer than the {MAX_AUDIO_SECONDS} seconds one transcription may hold."
    )
    assert billed(client, owner.access_token) == 0.0
