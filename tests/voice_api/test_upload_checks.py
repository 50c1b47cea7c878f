"""transcribeAudio checks the upload before it writes anything: a refused upload gets its
error code, leaves no job and no audio row, and the server goes on serving.

These run on the shared server, which runs no workers: accepted jobs stay QUEUED.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.database import superuser_value
from tests.support.graphql import Account, GraphQLClient, error_codes, register
from tests.support.server import Server
from tests.voice_api.helpers import AUDIO, job_rows, upload, uploaded_id

MAX_UPLOAD_BYTES = 26_214_400  # the server's default IAFACTORY_MAX_UPLOAD_BYTES


@pytest.fixture(scope="module")
def alice(client: GraphQLClient) -> Account:
    """One tenant for every refusal below: each test checks it still has no job at all."""
    return register(client, name="refused")


@pytest.fixture(scope="module")
def carol(client: GraphQLClient) -> Account:
    """The tenant whose uploads are accepted."""
    return register(client, name="accepted")


def assert_still_serving(client: GraphQLClient, account: Account) -> None:
    me = client.data("{ me { tenant { id } } }", token=account.access_token)["me"]
    assert me["tenant"]["id"] == account.tenant_id, "the server must keep answering after a refused upload"


@pytest.mark.parametrize(
    "fixture",
    ["not_audio.png", "not_audio.txt", "empty.wav", "header_only.wav", "truncated.mp3", "truncated.wav"],
)
def test_a_file_that_is_not_decodable_audio_is_refused_and_nothing_is_stored(
    server: Server, client: GraphQLClient, alice: Account, database_url: str, fixture: str
) -> None:
    response = upload(server.graphql_url, alice.access_token, AUDIO / fixture)
    assert error_codes(response.json()) == ["UNSUPPORTED_MEDIA_TYPE"], response.text
    assert job_rows(database_url, alice.tenant_id) == (0, 0), f"{fixture} must leave no job or audio row"
    assert_still_serving(client, alice)


@pytest.mark.parametrize("language", ["xx", "klingon", "fr"])
def test_a_language_the_model_cannot_transcribe_is_bad_user_input(
    server: Server, client: GraphQLClient, alice: Account, database_url: str, language: str
) -> None:
    """Unknown codes, and (with the English-only tiny.en of the test server) French too."""
    response = upload(server.graphql_url, alice.access_token, AUDIO / "speech_en.mp3", language=language)
    assert error_codes(response.json()) == ["BAD_USER_INPUT"], response.text
    assert job_rows(database_url, alice.tenant_id) == (0, 0)


def test_an_upload_declared_over_the_limit_is_refused_before_it_is_read(
    server: Server, client: GraphQLClient, alice: Account, database_url: str
) -> None:
    response = upload(
        server.graphql_url, alice.access_token, b"\0" * (MAX_UPLOAD_BYTES + 200_000), filename="big.wav"
    )
    assert response.status_code == 413
    assert error_codes(response.json()) == ["PAYLOAD_TOO_LARGE"]
    assert job_rows(database_url, alice.tenant_id) == (0, 0)
    assert_still_serving(client, alice)


def test_a_streamed_upload_without_content_length_is_cut_at_the_limit(
    server: Server, client: GraphQLClient, alice: Account, database_url: str
) -> None:
    """Chunked transfer: the guard counts bytes as they arrive, not the declared length."""
    chunk = b"\0" * 1_000_000

    def body() -> Iterator[bytes]:
        yield (
            b'--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
            b'{"query": "mutation($f: Upload!) { transcribeAudio(file: $f) { id } }",'
            b' "variables": {"f": null}}'
            b'\r\n--b\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0": ["variables.f"]}\r\n'
            b'--b\r\nContent-Disposition: form-data; name="0"; filename="big.wav"\r\n\r\n'
        )
        for _ in range(MAX_UPLOAD_BYTES // len(chunk) + 2):
            yield chunk
        yield b"\r\n--b--\r\n"

    response = httpx.post(
        server.graphql_url,
        content=body(),
        headers={
            "Authorization": f"Bearer {alice.access_token}",
            "Apollo-Require-Preflight": "true",
            "Content-Type": "multipart/form-data; boundary=b",
        },
        timeout=60,
    )
    assert response.status_code == 413
    assert error_codes(response.json()) == ["PAYLOAD_TOO_LARGE"]
    assert job_rows(database_url, alice.tenant_id) == (0, 0)
    assert_still_serving(client, alice)


def test_a_file_just_over_the_limit_is_refused_exactly(
    server: Server, client: GraphQLClient, alice: Account, database_url: str
) -> None:
    """The HTTP guard leaves room for multipart framing; the resolver counts the file itself."""
    response = upload(
        server.graphql_url, alice.access_token, b"\0" * (MAX_UPLOAD_BYTES + 1), filename="big.wav"
    )
    assert error_codes(response.json()) == ["PAYLOAD_TOO_LARGE"], response.text
    assert job_rows(database_url, alice.tenant_id) == (0, 0)


def test_a_multipart_request_without_a_preflight_header_is_refused(
    server: Server, client: GraphQLClient, alice: Account, database_url: str
) -> None:
    """CSRF guard: a browser form can post multipart cross-site, but cannot add this header."""
    response = upload(server.graphql_url, alice.access_token, AUDIO / "speech_en.mp3", preflight=False)
    assert response.status_code == 403
    assert error_codes(response.json()) == ["FORBIDDEN"]
    assert job_rows(database_url, alice.tenant_id) == (0, 0)


def test_an_upload_without_a_token_is_unauthenticated(server: Server, client: GraphQLClient) -> None:
    response = upload(server.graphql_url, None, AUDIO / "speech_en.mp3")
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]


def test_an_upload_into_another_tenants_project_is_not_found(
    server: Server, client: GraphQLClient, alice: Account, database_url: str
) -> None:
    bob = register(client, name="bob")
    project = client.data('mutation { createProject(input: {name: "Calls"}) { id } }', token=bob.access_token)
    response = upload(
        server.graphql_url,
        alice.access_token,
        AUDIO / "speech_en.mp3",
        project_id=project["createProject"]["id"],
    )
    assert error_codes(response.json()) == ["NOT_FOUND"]
    assert job_rows(database_url, alice.tenant_id) == (0, 0)


@pytest.mark.parametrize(
    "fixture",
    ["speech_en.wav", "speech_en.mp3", "speech_en.m4a", "speech_en.ogg", "speech_en.webm", "speech_en.flac"],
)
def test_every_common_container_is_accepted_and_queued_with_its_duration(
    server: Server, client: GraphQLClient, carol: Account, database_url: str, fixture: str
) -> None:
    before = job_rows(database_url, carol.tenant_id)
    response = upload(server.graphql_url, carol.access_token, AUDIO / fixture)
    queued = response.json()["data"]["transcribeAudio"]
    assert queued["status"] == "QUEUED"
    assert queued["progress"] == 0.0
    assert queued["filename"] == fixture
    assert queued["duration"] == pytest.approx(23.3, abs=0.3), "the probe measures the audio before queueing"
    jobs, audio = job_rows(database_url, carol.tenant_id)
    assert (jobs, audio) == (before[0] + 1, before[1] + 1), "one job and its audio were stored"
    # No worker runs here: cancel it, which a queued job obeys at once.
    cancelled = client.data(
        "mutation($id: ID!) { cancelTranscription(id: $id) { status } }",
        {"id": uploaded_id(response)},
        token=carol.access_token,
    )
    assert cancelled["cancelTranscription"]["status"] == "CANCELLED"


def test_the_stored_audio_counts_its_bytes_for_the_tenants_storage(
    server: Server, carol: Account, database_url: str
) -> None:
    job_id = uploaded_id(upload(server.graphql_url, carol.access_token, AUDIO / "speech_en.ogg"))
    stored = superuser_value(
        database_url,
        "SELECT a.size_bytes FROM audio_files a JOIN transcriptions t"
        " ON t.tenant_id = a.tenant_id AND t.audio_id = a.id WHERE t.id = $1",
        job_id,
    )
    assert stored == (AUDIO / "speech_en.ogg").stat().st_size, "size_bytes is what storage quotas add up"
