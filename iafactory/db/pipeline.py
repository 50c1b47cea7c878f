"""One round trip for a compiled read: libpq's pipeline mode, through psycopg's `pq` binding.

asyncpg waits for each statement's answer before it sends the next one, so a transaction of
db/scope.py costs three round trips (opening, statement, COMMIT); for a cached read those
trips, not the SQL, were most of the CPU, in the server and in PostgreSQL alike. Here the
opening's statements and the read are queued and sent at once, and answered at once:

    [role and settings] [the caller's check] [Parse the read, first time only] [the read] Sync

Everything before the Sync runs in ONE implicit transaction (the extended protocol's rule
when no BEGIN is sent): the settings are transaction-local exactly as in a scope's opening,
they end at the Sync, and a statement that fails rolls all of it back and skips the rest.
The opening's statements come from db/scope.py (`pipeline_opening`), still the only place
a role is switched. Reads only: a transaction that writes needs the write lock and more
statements than one.

Connections come from their own small set (`Connections`) and keep each read's parsed
statement (a bounded number per connection, the oldest closed first), so PostgreSQL plans a
read as it does asyncpg's prepared statements.

>>> reads = await PipelinedReads.start(dsn, size=4, idle_in_transaction_timeout_ms=60_000)
>>> await reads.read(opening, "SELECT $1::int4 + 1", [41])   # b'42', the value's text
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import psycopg
import structlog
from psycopg import pq

from iafactory.db.scope import ACQUIRE_TIMEOUT_SECONDS, Opening, pipeline_opening

log = structlog.get_logger("iafactory.db")

CONNECT_TIMEOUT_SECONDS = 5.0
# Parsed reads kept per connection; past this the least recently used is closed.
MAX_PREPARED = 256

_STATUS_FAILED = (pq.ExecStatus.FATAL_ERROR, pq.ExecStatus.PIPELINE_ABORTED)
IDLE = pq.TransactionStatus.IDLE
PARSE, CLOSE = "parse", "close"  # the queued messages whose outcome changes a connection
DUPLICATE_PREPARED_STATEMENT = "42P05"


class PipelineFailed(Exception):
    """PostgreSQL refused a statement of the pipeline; nothing of it was kept."""

    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class ReadsUnavailable(Exception):
    """No connection in time, or the connection broke: the caller takes another path."""


def text_parameter(value: Any) -> bytes | None:
    """A parameter in PostgreSQL's text format (every statement casts its parameters)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, datetime):
        return value.isoformat().encode()
    return str(value).encode()


# Keyed by the SQL's str: the plan's statement and the opening's are the same objects every
# request, their hash computed once.
@functools.lru_cache(maxsize=4096)
def _name(sql: str) -> bytes:
    return b"iaf_" + hashlib.blake2b(sql.encode(), digest_size=10).hexdigest().encode()


class Connections:
    """The reads' connections: at most `size`, opened when first needed, each lent to one read
    at a time; one that broke (or was left mid-transaction) is dropped and later replaced.

    Not psycopg_pool: under the bench's load its bookkeeping and its waiting clients were ~11%
    of a pipelined read's CPU in the server; this needs one semaphore and a list. A connection
    that died while idle (PostgreSQL restarted) fails its next read at once (the endpoint
    then lets the general path answer it) and is replaced."""

    def __init__(self, connect: Callable[[], Awaitable[psycopg.AsyncConnection]], size: int) -> None:
        self._connect = connect
        self._idle: list[psycopg.AsyncConnection] = []
        self._free = asyncio.Semaphore(size)
        self._closed = False

    async def take(self) -> psycopg.AsyncConnection:
        try:
            if self._free.locked():  # all lent: wait, but not forever
                async with asyncio.timeout(ACQUIRE_TIMEOUT_SECONDS):
                    await self._free.acquire()
            else:
                await self._free.acquire()
        except TimeoutError as error:
            raise ReadsUnavailable("no pooled connection in time") from error
        try:
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed:
                    return connection
            return await self._connect()
        except BaseException as error:
            self._free.release()
            if isinstance(error, psycopg.Error | OSError):
                raise ReadsUnavailable(f"cannot connect: {error}") from error
            raise

    async def give_back(self, connection: psycopg.AsyncConnection) -> None:
        try:
            if self._closed or connection.closed or connection.pgconn.transaction_status != IDLE:
                await connection.close()
            else:
                self._idle.append(connection)
        finally:
            self._free.release()

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()


class PipelinedReads:
    def __init__(self, connections: Connections) -> None:
        self._connections = connections
        # Per connection: its prepared statements' names, least recently used first.
        self._prepared: weakref.WeakKeyDictionary[psycopg.AsyncConnection, OrderedDict[bytes, None]] = (
            weakref.WeakKeyDictionary()
        )

    @classmethod
    async def start(
        cls, dsn: str, *, size: int, idle_in_transaction_timeout_ms: int
    ) -> PipelinedReads | None:
        """The reads' connections (one opened now), or None (logged) when it cannot connect:
        reads then take the three-trip path."""

        async def connect() -> psycopg.AsyncConnection:
            return await psycopg.AsyncConnection.connect(
                dsn,
                autocommit=True,
                application_name="iafactory",
                connect_timeout=int(CONNECT_TIMEOUT_SECONDS),
                options=f"-c idle_in_transaction_session_timeout={int(idle_in_transaction_timeout_ms)}",
            )

        connections = Connections(connect, size)
        try:
            await connections.give_back(await connections.take())
        except ReadsUnavailable as error:
            log.warning("pipelined reads off: cannot connect", error=str(error))
            return None
        return cls(connections)

    async def close(self) -> None:
        await self._connections.close()

    async def read(self, opening: Opening, sql: str, arguments: Sequence[Any]) -> bytes | None:
        """The first column of the read's first row, as PostgreSQL's text, in one round trip."""
        connection = await self._connections.take()
        try:
            return await self._run(connection, opening, sql, [text_parameter(a) for a in arguments])
        finally:
            await self._connections.give_back(connection)

    async def _run(
        self,
        connection: psycopg.AsyncConnection,
        opening: Opening,
        sql: str,
        parameters: list[bytes | None],
    ) -> bytes | None:
        prepared = self._prepared.setdefault(connection, OrderedDict())
        pgconn = connection.pgconn
        # What each queued message is: (PARSE or CLOSE, a statement's name), or None (a read).
        messages: list[tuple[str, bytes] | None] = []
        completed = False
        try:
            pgconn.enter_pipeline_mode()
            for statement, values in pipeline_opening(opening):
                self._queue(pgconn, prepared, messages, statement, values)
            self._queue(pgconn, prepared, messages, sql, parameters)
            pgconn.pipeline_sync()
            results = await _exchange(pgconn)
            pgconn.exit_pipeline_mode()
            completed = True
        except psycopg.Error as error:
            raise ReadsUnavailable(str(error)) from error
        finally:
            if not completed:  # cancelled or broken mid-exchange: its state is unknown
                pgconn.finish()
        failure = None
        for message, result in zip(messages, results, strict=True):
            if message is not None:
                _remember(prepared, message, result)
            if failure is None and result.status in _STATUS_FAILED:
                failure = result
        if failure is not None:
            raise _failed(failure)
        last = results[-1]
        return None if last.ntuples == 0 else last.get_value(0, 0)

    @staticmethod
    def _queue(
        pgconn: pq.abc.PGconn,
        prepared: OrderedDict[bytes, None],
        messages: list[tuple[str, bytes] | None],
        sql: str,
        parameters: Sequence[bytes | None],
    ) -> None:
        name = _name(sql)
        if name in prepared:
            prepared.move_to_end(name)
        else:
            if len(prepared) >= MAX_PREPARED:
                oldest, _ = prepared.popitem(last=False)
                pgconn.send_close_prepared(oldest)
                messages.append((CLOSE, oldest))
            pgconn.send_prepare(name, sql.encode())
            messages.append((PARSE, name))
        pgconn.send_query_prepared(name, parameters)
        messages.append(None)


def _remember(
    prepared: OrderedDict[bytes, None], message: tuple[str, bytes], result: pq.abc.PGresult
) -> None:
    """What the connection holds now: a Parse or a Close that did not run (an earlier
    statement failed) changed nothing."""
    kind, name = message
    done = result.status == pq.ExecStatus.COMMAND_OK
    if kind == PARSE and (done or _sqlstate(result) == DUPLICATE_PREPARED_STATEMENT):
        prepared[name] = None
    elif kind == CLOSE and not done:
        prepared[name] = None
        prepared.move_to_end(name, last=False)


async def _exchange(pgconn: pq.abc.PGconn) -> list[pq.abc.PGresult]:
    """Sends what is queued and reads every answer up to the Sync: one result per message."""
    loop = asyncio.get_running_loop()
    fileno = pgconn.socket
    while pgconn.flush():
        await _ready(loop, fileno, write=True)
    results: list[pq.abc.PGresult] = []
    while True:
        while pgconn.is_busy():
            await _ready(loop, fileno, write=False)
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:  # the end of one message's results
            continue
        if result.status == pq.ExecStatus.PIPELINE_SYNC:
            return results
        if result.status == pq.ExecStatus.FATAL_ERROR and pgconn.status != pq.ConnStatus.OK:
            raise ReadsUnavailable(pgconn.get_error_message())
        results.append(result)


async def _ready(loop: asyncio.AbstractEventLoop, fileno: int, *, write: bool) -> None:
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    if write:
        loop.add_writer(fileno, wake)
    else:
        loop.add_reader(fileno, wake)
    try:
        await ready
    finally:
        if write:
            loop.remove_writer(fileno)
        else:
            loop.remove_reader(fileno)


def _sqlstate(result: pq.abc.PGresult) -> str:
    return (result.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()


def _failed(result: pq.abc.PGresult) -> PipelineFailed:
    sqlstate = _sqlstate(result)
    message = (result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or b"").decode(errors="replace")
    return PipelineFailed(sqlstate, message or pq.ExecStatus(result.status).name)
