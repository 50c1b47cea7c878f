"""The GraphQL-over-HTTP specification's own server audit (the `graphql-http` package's
`auditServer`, pinned in clients/package-lock.json) passes every check against a real server:
no warning, no error."""

from __future__ import annotations

import pytest

from tests.http.conftest import NodeClients
from tests.support.server import Server

# graphql-http 1.23.1 runs this many checks; fewer would mean the audit did not really run.
AUDIT_CHECKS = 61


@pytest.mark.slow
def test_every_check_of_the_graphql_over_http_audit_is_ok(node_clients: NodeClients, server: Server) -> None:
    results = node_clients.run("audit.mjs", server.graphql_url)
    assert len(results) >= AUDIT_CHECKS, f"only {len(results)} checks ran"
    failing = [
        f"{r['id']} {r['status']}: {r['name']} ({r.get('reason')})" for r in results if r["status"] != "ok"
    ]
    assert not failing, "checks not ok:\n" + "\n".join(failing)
