"""SQL round trips per request, counted on the wire, the same way for both servers.

pg_stat_statements needs a server restart (shared_preload_libraries) on a cluster others
share, and a server's own counter can't be asked of PostGraphile. Instead, a TCP proxy in
front of PostgreSQL reads the messages clients send: every simple Query ('Q') and every Sync
('S', the end of an extended-protocol batch) is one wait for the server's answer. The proxy
costs CPU, so it is used only in an untimed pass, never under the timed load.
"""

from __future__ import annotations

import asyncio
import threading
from contextlib import suppress
from urllib.parse import urlsplit, urlunsplit

SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104
ROUND_TRIP_MESSAGES = {ord("Q"), ord("S")}


def proxied(url: str, port: int) -> str:
    """`url` through the proxy on 127.0.0.1:`port`, without TLS (the proxy reads plaintext)."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
    query = "&".join(filter(None, [parts.query, "sslmode=disable"]))
    return urlunsplit(parts._replace(netloc=netloc, query=query))


class FrontendParser:
    """Follows the client -> server message stream; `round_trips` counts Query and Sync.

    >>> parser = FrontendParser()
    >>> startup = (8).to_bytes(4, "big") + (196608).to_bytes(4, "big")
    >>> query = b"Q" + (9).to_bytes(4, "big") + b"BEGIN"
    >>> parser.feed(startup + query + b"S" + (4).to_bytes(4, "big"))
    >>> parser.round_trips
    2
    """

    def __init__(self) -> None:
        self.round_trips = 0
        self._buffer = bytearray()
        self._started = False

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while True:
            if not self._started:  # untyped: [SSLRequest | GSSENCRequest]* then StartupMessage
                if len(self._buffer) < 8:
                    return
                length = int.from_bytes(self._buffer[:4], "big")
                code = int.from_bytes(self._buffer[4:8], "big")
                if len(self._buffer) < length:
                    return
                del self._buffer[:length]
                self._started = code not in (SSL_REQUEST, GSSENC_REQUEST)
                continue
            if len(self._buffer) < 5:
                return
            length = int.from_bytes(self._buffer[1:5], "big")
            if len(self._buffer) < 1 + length:
                return
            if self._buffer[0] in ROUND_TRIP_MESSAGES:
                self.round_trips += 1
            del self._buffer[: 1 + length]


class RoundTripCounter:
    """A counting proxy on 127.0.0.1:<port>, run in a thread. It reads plaintext: clients
    connect through it with `sslmode=disable` (`proxied`)."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._parsers: list[FrontendParser] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.port = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def round_trips(self) -> int:
        return sum(parser.round_trips for parser in self._parsers)

    def start(self) -> int:
        self._thread.start()
        self._ready.wait(10)
        return self.port

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._upstream)
        parser = FrontendParser()
        self._parsers.append(parser)
        await asyncio.gather(
            _pipe(client_reader, upstream_writer, parser),
            _pipe(upstream_reader, client_writer, None),
        )


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, parser: FrontendParser | None
) -> None:
    try:
        while data := await reader.read(65536):
            if parser is not None:
                parser.feed(data)
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        with suppress(ConnectionError, RuntimeError):
            writer.close()
