"""Twin servers on one database: one answers hot reads with compiled plans, the other
(IAFACTORY_COMPILED_READS=false) only ever with the per-field resolvers. Both count SQL
statements (`extensions.sqlStatements`), which the comparisons set aside: the counts are
what differ by design; everything before them must be the same bytes.

Which engine answered is read from the compiled server's log line for the request
(`"path": "compiled"`).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support.graphql import Account, GraphQLClient, register
from tests.support.server import Server, start_server

STATEMENTS = re.compile(rb',"extensions":\{"sqlStatements":(\d+)\}\}$')
COMPARED_HEADERS = ("content-type", "x-tenant-context", "retry-after")


@dataclass
class Answer:
    status: int
    body: bytes  # without the statement count
    statements: int | None
    headers: dict[str, str | None]
    compiled: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


ACCEPT = "application/graphql-response+json, application/json;q=0.9"


@dataclass
class Twins:
    compiled_server: Server
    general_server: Server
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))
    warmed: set[tuple[str, str | None]] = field(default_factory=set)

    def post(
        self, server: Server, body: dict[str, Any], token: str | None, request_id: str
    ) -> httpx.Response:
        # As Apollo Client 4 asks: the spec's media type, so refusals carry their HTTP status.
        headers = {"X-Request-ID": request_id, "Accept": ACCEPT}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.post(server.graphql_url, json=body, headers=headers)

    def answers(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None,
        operation_name: str | None = None,
    ) -> tuple[Answer, Answer]:
        """(compiled server's, general server's) answers to the same request, sent under the
        same request id. The first time a document is sent, the compiled server answers it
        once beforehand: that run (general path) records its plan."""
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name is not None:
            body["operationName"] = operation_name
        if (query, operation_name) not in self.warmed and token is not None:
            self.post(self.compiled_server, body, token, uuid.uuid4().hex)
            self.warmed.add((query, operation_name))
        request_id = uuid.uuid4().hex
        compiled = self.post(self.compiled_server, body, token, request_id)
        general = self.post(self.general_server, body, token, request_id)
        return (
            _answer(compiled, self.compiled_server, request_id),
            _answer(general, None, request_id),
        )

    def same(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None,
        operation_name: str | None = None,
        compiled: bool | None = True,
    ) -> Answer:
        """Asserts both servers answer with the same status, headers and bytes; `compiled`:
        whether the compiled path must have answered (None: either)."""
        mine, reference = self.answers(query, variables, token=token, operation_name=operation_name)
        assert mine.body == reference.body, (
            f"different answers to {query} {variables}:\n"
            f"compiled: {mine.body!r}\ngeneral:  {reference.body!r}"
        )
        assert (mine.status, mine.headers) == (reference.status, reference.headers)
        if compiled is not None:
            assert mine.compiled is compiled, f"{'general' if compiled else 'compiled'} path answered {query}"
        return mine


def _answer(response: httpx.Response, server: Server | None, request_id: str) -> Answer:
    content = response.content
    match = STATEMENTS.search(content)
    statements = int(match.group(1)) if match else None
    body = content[: match.start()] + b"}" if match else content
    headers = {name: response.headers.get(name) for name in COMPARED_HEADERS}
    compiled = server is not None and _path(server, request_id)
    return Answer(response.status_code, body, statements, headers, compiled)


def _path(server: Server, request_id: str) -> bool:
    """Whether the compiled path answered that request (its log line says so)."""
    for line in reversed(server.log.read_text().splitlines()):
        if request_id in line and '"graphql operation"' in line:
            return bool(json.loads(line).get("path") == "compiled")
    return False


@pytest.fixture(scope="package")
def twins(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twins]:
    both = {
        "IAFACTORY_EXPOSE_SQL_STATEMENT_COUNT": "true",
        "IAFACTORY_LOG_LEVEL": "INFO",
        # The shapes compared here go up to pages of 100 in pages of 100 (the cost limit has
        # its own test below and in tests/security/test_query_cost.py).
        "IAFACTORY_MAX_QUERY_COST": "1000000",
    }
    compiled = start_server(database_url, tmp_path_factory.mktemp("compiled"), **both)
    try:
        general = start_server(
            database_url, tmp_path_factory.mktemp("general"), IAFACTORY_COMPILED_READS="false", **both
        )
    except BaseException:
        compiled.stop()
        raise
    yield Twins(compiled, general)
    compiled.stop()
    general.stop()


@pytest.fixture(scope="package")
def twin_client(twins: Twins) -> GraphQLClient:
    return GraphQLClient(twins.compiled_server.graphql_url)


@pytest.fixture(scope="package")
def empty(twin_client: GraphQLClient) -> Account:
    """A tenant with nothing in it."""
    return register(twin_client, name="empty")
