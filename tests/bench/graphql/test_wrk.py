"""The GraphQL bench's pure parts (the bench itself runs on demand, never in the suite)."""

from __future__ import annotations

import pytest

from bench.graphql import wrk


def test_the_summary_line_of_the_lua_script_becomes_a_run() -> None:
    output = (
        "Running 10s test @ http://127.0.0.1:8000/graphql\n"
        "BENCH requests=4200 duration_us=10000000 p50_us=18250 p99_us=61000 failures=3 socket_errors=1\n"
    )

    run = wrk.parse(output)

    assert run == wrk.Run(requests=4200, seconds=10.0, p50_ms=18.25, p99_ms=61.0, failures=3, socket_errors=1)
    assert run.per_second == 420.0


def test_output_without_a_summary_line_is_an_error_that_shows_the_output() -> None:
    with pytest.raises(ValueError, match="unable to connect"):
        wrk.parse("unable to connect to 127.0.0.1:1 Connection refused")


def test_each_tenant_request_is_a_lua_entry_with_its_token_and_json_body() -> None:
    chunk = wrk.lua_requests([("tok.en", {"query": "{ me { user { id } } }", "variables": {}})])

    assert chunk == (
        "return {\n"
        '  {token = [==[tok.en]==], body = [==[{"query": "{ me { user { id } } }", "variables": {}}]==]},\n'
        "}\n"
    )
