"""Issue 9, finding 2: twelve sockets that open an export link and never read held all of the
pool's connections idle in transaction, and every other tenant timed out. The export is now
spooled before it is streamed (no transaction waits on a client) and downloads are bounded:
one per tenant at a time, a few exports written at once."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from tests.security.conftest import assert_no_idle_in_transaction
from tests.support.graphql import GraphQLClient, register
from tests.support.server import Server

ADD = 'mutation($c: String!) { addDocument(input: {title: "big", content: $c}) { id } }'
REQUEST = "mutation { requestTenantExport(includeAudio: false) { url } }"


@contextmanager
def sockets_that_never_read(server: Server, path: str, count: int) -> Iterator[list[socket.socket]]:
    host, port = urlsplit(server.url).hostname, urlsplit(server.url).port
    opened = []
    try:
        for _ in range(count):
            sock = socket.create_connection((host, port))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            opened.append(sock)
        yield opened
    finally:
        for sock in opened:
            sock.close()


def test_twelve_sockets_opening_an_export_link_and_never_reading_starve_no_other_tenant(
    guarded: Server, guarded_client: GraphQLClient, database_url: str
) -> None:
    owner = register(guarded_client, name="slowloris")
    for _ in range(12):  # ~10 MB: more than the sockets' buffers hold
        guarded_client.data(ADD, {"c": "z" * 900_000}, token=owner.access_token)
    link = guarded_client.data(REQUEST, token=owner.access_token)["requestTenantExport"]["url"]
    bystander = register(guarded_client, name="bystander")
    with sockets_that_never_read(guarded, link, 12):
        time.sleep(2)  # the first download spools, then blocks on a client that never reads
        started = time.monotonic()
        answer = guarded_client.data("{ projects { totalCount } }", token=bystander.access_token)
        assert answer["projects"]["totalCount"] == 0
        assert time.monotonic() - started < 3, "another tenant answers promptly"
        assert_no_idle_in_transaction(database_url)


def test_a_second_download_of_the_same_tenant_waits_for_the_first(
    guarded: Server, guarded_client: GraphQLClient
) -> None:
    owner = register(guarded_client, name="one-at-a-time")
    for _ in range(12):
        guarded_client.data(ADD, {"c": "w" * 900_000}, token=owner.access_token)
    link = guarded_client.data(REQUEST, token=owner.access_token)["requestTenantExport"]["url"]
    with sockets_that_never_read(guarded, link, 1):
        time.sleep(2)
        second = guarded_client.http.get(guarded.url + link)
        assert second.status_code == 429, second.text[:300]
        assert second.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert "Retry-After" in second.headers
    deadline = time.monotonic() + 10
    while (again := guarded_client.http.get(guarded.url + link)).status_code == 429:
        assert time.monotonic() < deadline, "the slot comes back when the stalled client goes"
        time.sleep(0.2)
    assert again.status_code == 200
