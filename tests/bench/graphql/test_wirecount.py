"""Round trips are counted from the messages a PostgreSQL client sends."""

from __future__ import annotations

from bench.graphql.wirecount import FrontendParser, proxied


def message(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + (4 + len(payload)).to_bytes(4, "big") + payload


def untyped(code: int, payload: bytes = b"") -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + code.to_bytes(4, "big") + payload


STARTUP = untyped(196608, b"user\0postgres\0\0")


def test_each_simple_query_and_each_sync_is_one_round_trip() -> None:
    parser = FrontendParser()

    parser.feed(STARTUP + message(b"Q", b"BEGIN; SELECT 1\0"))
    parser.feed(message(b"P", b"\0SELECT $1\0\0\0") + message(b"B", b"\0" * 8) + message(b"E", b"\0" * 5))
    parser.feed(message(b"S") + message(b"Q", b"COMMIT\0"))

    assert parser.round_trips == 3


def test_a_message_split_across_reads_is_counted_once() -> None:
    parser = FrontendParser()
    stream = STARTUP + message(b"Q", b"SELECT 1\0")

    for byte in range(len(stream)):
        parser.feed(stream[byte : byte + 1])

    assert parser.round_trips == 1


def test_an_ssl_request_before_the_startup_message_is_not_a_query() -> None:
    parser = FrontendParser()

    parser.feed(untyped(80877103) + STARTUP + message(b"S"))

    assert parser.round_trips == 1


def test_the_proxied_url_keeps_credentials_and_database_and_disables_tls() -> None:
    url = proxied("postgresql://app:secret@db.example:5432/iafactory?application_name=x", 6001)

    assert url == "postgresql://app:secret@127.0.0.1:6001/iafactory?application_name=x&sslmode=disable"
