"""The embedded PostgreSQL: what `iafactory serve` and the tests use when no DATABASE_URL is set."""

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
import pytest

from iafactory.db.embedded import EmbeddedServer, start_embedded, stop_embedded
from tests.support.database import superuser_value

REPO_ROOT = Path(__file__).resolve().parents[2]
# Starts the server of argv[1] from another process, prints its DSN, then waits on stdin.
START_AND_WAIT = (
    "import sys; from pathlib import Path; from iafactory.db.embedded import start_embedded;"
    " print(start_embedded(Path(sys.argv[1])).dsn, flush=True); sys.stdin.read()"
)


def fetchval(dsn: str, query: str) -> Any:
    return superuser_value(dsn, query)


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])


def port_of(server: EmbeddedServer) -> int:
    port = urlsplit(server.dsn).port
    assert port is not None, server.dsn
    return port


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    data_dir = tmp_path / "data"
    yield data_dir
    stop_embedded(data_dir)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """One server shared by the tests that only read from it."""
    data_dir = tmp_path_factory.mktemp("shared") / "data"
    yield start_embedded(data_dir)
    stop_embedded(data_dir)


def test_the_server_is_postgresql_18(server: EmbeddedServer) -> None:
    version = fetchval(server.dsn, "SELECT version()")
    assert version.startswith("PostgreSQL 18."), version


def test_the_dsn_logs_in_as_superuser_on_loopback_to_the_iafactory_database(
    server: EmbeddedServer,
) -> None:
    assert server.dsn.startswith("postgresql://postgres@127.0.0.1:"), server.dsn
    assert server.dsn.endswith("/iafactory"), server.dsn
    assert fetchval(server.dsn, "SELECT current_database()") == "iafactory"
    assert fetchval(server.dsn, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")


def test_the_server_listens_on_loopback_tcp_only(server: EmbeddedServer) -> None:
    assert fetchval(server.dsn, "SHOW listen_addresses") == "127.0.0.1"
    assert fetchval(server.dsn, "SHOW unix_socket_directories") == "", "no Unix socket expected"


def test_the_search_extensions_can_be_created(server: EmbeddedServer) -> None:
    for extension in ("unaccent", "pg_trgm", "vector"):
        fetchval(server.dsn, f"CREATE EXTENSION IF NOT EXISTS {extension}")
    assert fetchval(server.dsn, "SELECT unaccent('Élève à Noël')") == "Eleve a Noel"
    assert fetchval(server.dsn, "SELECT similarity('facture', 'factures')") > 0.5
    assert fetchval(server.dsn, "SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector") == 1.0


def test_text_functions_treat_accented_letters_as_letters(server: EmbeddedServer) -> None:
    fetchval(server.dsn, "CREATE EXTENSION IF NOT EXISTS pg_trgm")
    assert fetchval(server.dsn, "SELECT upper('élève')") == "ÉLÈVE"
    assert fetchval(server.dsn, "SELECT cardinality(show_trgm('é'))") > 0, (
        "pg_trgm ignores 'é': the cluster was initialised under the C locale"
    )


def test_the_server_never_runs_as_root(server: EmbeddedServer) -> None:
    postmaster = psutil.Process(postmaster_pid(server.data_dir))
    assert postmaster.uids().real != 0, "PostgreSQL must not run as root"
    assert postmaster.gids().real != 0, "the server must not keep root's group"


def test_starting_again_returns_the_same_running_server(data_dir: Path) -> None:
    first = start_embedded(data_dir)
    started_at = fetchval(first.dsn, "SELECT pg_postmaster_start_time()")

    assert start_embedded(data_dir) == first
    assert fetchval(first.dsn, "SELECT pg_postmaster_start_time()") == started_at, "restarted"


def test_each_requested_database_is_created_on_the_one_server(data_dir: Path) -> None:
    default = start_embedded(data_dir)
    other = start_embedded(data_dir, database="other db")

    assert port_of(other) == port_of(default)
    assert fetchval(other.dsn, "SELECT current_database()") == "other db"


def test_concurrent_starts_from_two_processes_share_one_server(data_dir: Path) -> None:
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", START_AND_WAIT, str(data_dir)],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    dsns = {starter.communicate(timeout=60)[0].strip() for starter in starters}

    assert all(starter.returncode == 0 for starter in starters)
    assert dsns == {start_embedded(data_dir).dsn}


def test_a_restart_keeps_the_port_and_the_data(data_dir: Path) -> None:
    before = start_embedded(data_dir)
    fetchval(before.dsn, "CREATE TABLE kept AS SELECT 42 AS answer")
    stop_embedded(data_dir)

    after = start_embedded(data_dir)

    assert after.dsn == before.dsn, "the DSN must survive a restart"
    assert fetchval(after.dsn, "SELECT answer FROM kept") == 42


def test_a_stored_port_taken_by_another_program_is_replaced(data_dir: Path) -> None:
    before = start_embedded(data_dir)
    stop_embedded(data_dir)

    with socket.socket() as squatter:
        # As any server does (PostgreSQL too): the port may still hold the stopped server's
        # connections in TIME_WAIT, which a plain bind refuses.
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", port_of(before)))
        squatter.listen()
        after = start_embedded(data_dir)

        assert port_of(after) != port_of(before)
        assert fetchval(after.dsn, "SELECT 1") == 1


def test_stopping_a_server_that_is_not_running_does_nothing(data_dir: Path) -> None:
    stop_embedded(data_dir)
    start_embedded(data_dir)
    stop_embedded(data_dir)
    stop_embedded(data_dir)

    assert not (data_dir / "pg" / "postmaster.pid").exists()


def test_a_server_left_by_a_killed_process_is_reused(data_dir: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", START_AND_WAIT, str(data_dir)],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as owner:
        assert owner.stdout is not None
        dsn = owner.stdout.readline().strip()
        started_at = fetchval(dsn, "SELECT pg_postmaster_start_time()")
        owner.kill()  # SIGKILL: no atexit, no cleanup

    assert start_embedded(data_dir).dsn == dsn
    assert fetchval(dsn, "SELECT pg_postmaster_start_time()") == started_at, "restarted"


def test_a_killed_postmaster_is_started_again(data_dir: Path) -> None:
    before = start_embedded(data_dir)
    os.kill(postmaster_pid(data_dir), signal.SIGKILL)  # leaves postmaster.pid behind

    after = start_embedded(data_dir)

    assert after.dsn == before.dsn
    assert fetchval(after.dsn, "SELECT 1") == 1


def test_a_stale_postmaster_pid_naming_another_live_process_is_cleared(data_dir: Path) -> None:
    start_embedded(data_dir)
    pid_file = data_dir / "pg" / "postmaster.pid"
    lines = pid_file.read_text().splitlines()
    stop_embedded(data_dir)

    # As after a reboot: the recorded pid now belongs to some other program, run by the server's
    # own account so that PostgreSQL alone would take it for a live postmaster and refuse to start.
    server_uid = (data_dir / "pg").stat().st_uid
    with subprocess.Popen(["sleep", "60"], user=server_uid) as unrelated:
        pid_file.write_text("\n".join([str(unrelated.pid), *lines[1:]]) + "\n")
        server = start_embedded(data_dir)
        unrelated.kill()

    assert fetchval(server.dsn, "SELECT 1") == 1
