"""Logs: JSON lines for machines, structlog's console format in a terminal, and the standard
library's records (uvicorn, asyncpg, Strawberry, Alembic) through the same pipeline."""

from __future__ import annotations

import json
import os
import pty
import socket
import subprocess
import sys
import time

from iafactory.logging import renders_json
from iafactory.settings import Settings
from tests.support.server import REPO_ROOT, Server

LOG_BOTH_KINDS = """
import logging, structlog
from iafactory.logging import configure_logging
from iafactory.settings import Settings
configure_logging(Settings(_env_file=None))
structlog.contextvars.bind_contextvars(request_id="r1")
structlog.get_logger("iafactory.requests").info("graphql operation", duration_ms=3)
logging.getLogger("uvicorn.error").warning("Invalid HTTP request received.")
"""


class Terminal:
    def isatty(self) -> bool:
        return True


def run_logging(stderr: int) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "IAFACTORY_LOG_JSON"}
    return subprocess.run(
        [sys.executable, "-c", LOG_BOTH_KINDS],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        timeout=60,
        check=True,
    )


def test_without_a_terminal_every_line_is_json_ours_and_the_standard_librarys_alike() -> None:
    lines = run_logging(subprocess.PIPE).stderr.decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["logger"], r["level"], r["event"]) for r in records] == [
        ("iafactory.requests", "info", "graphql operation"),
        ("uvicorn.error", "warning", "Invalid HTTP request received."),
    ]
    assert all(r["request_id"] == "r1" and "timestamp" in r for r in records), records


def test_a_terminal_gets_structlogs_console_format() -> None:
    controller, terminal = pty.openpty()
    try:
        run_logging(terminal)
        os.close(terminal)
        output = b""
        while chunk := _read(controller):
            output += chunk
    finally:
        os.close(controller)
    text = output.decode()
    assert "graphql operation" in text, text
    assert "Invalid HTTP request received." in text, text
    assert not text.lstrip().startswith("{"), "not JSON in a terminal"


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the terminal's other end is closed and drained
        return b""


def test_iafactory_log_json_decides_when_set() -> None:
    assert renders_json(Settings(_env_file=None, IAFACTORY_LOG_JSON=True), Terminal())
    assert not renders_json(Settings(_env_file=None, IAFACTORY_LOG_JSON=False), sys.stderr)
    assert not renders_json(Settings(_env_file=None, IAFACTORY_LOG_JSON=None), Terminal())


def test_uvicorns_own_lines_reach_the_servers_log_as_json(server: Server) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        connection.recv(1024)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        records = [json.loads(x) for x in server.log.read_text().splitlines() if x.startswith("{")]
        if any(r.get("logger") == "uvicorn.error" for r in records):
            break
        time.sleep(0.1)
    warned = [r for r in records if r.get("logger") == "uvicorn.error"]
    assert warned, "uvicorn's warning went through our JSON pipeline (no handler of its own)"
    assert warned[0]["level"] == "warning"


LOG_ODD_VALUES = """
import structlog
from iafactory.logging import configure_logging
from iafactory.settings import Settings
configure_logging(Settings(_env_file=None, IAFACTORY_LOG_JSON=True))
class Opaque:
    def __repr__(self):
        return "<opaque>"
log = structlog.get_logger("iafactory.t")
log.info("huge", value=2**80)
log.info("object", value=Opaque(), text="réseau")
"""


def test_values_json_cannot_hold_still_make_one_json_line_each() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOG_ODD_VALUES], cwd=REPO_ROOT, capture_output=True, timeout=60, check=True
    )
    records = [json.loads(line) for line in done.stderr.decode().splitlines()]
    assert [(r["event"], r["value"]) for r in records] == [("huge", 2**80), ("object", "<opaque>")], records
    assert records[1]["text"] == "réseau", "UTF-8 as is"
    assert all(r["logger"] == "iafactory.t" for r in records), records
