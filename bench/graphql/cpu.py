"""CPU time spent while a load runs: the server's process tree, and the PostgreSQL backends
serving the bench's databases (client backends only; other databases of the cluster, which
other work may share, are not counted). Both read /proc/<pid>/stat through psutil."""

from __future__ import annotations

import math
from dataclasses import dataclass

import psutil
import psycopg


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def tree(pid: int) -> dict[int, float]:
    """CPU seconds of a process and all its descendants (uvicorn's workers), by pid."""
    root = psutil.Process(pid)
    seconds: dict[int, float] = {}
    for process in [root, *root.children(recursive=True)]:
        try:
            seconds[process.pid] = _cpu(process)
        except psutil.NoSuchProcess:
            continue
    return seconds


def backends(monitor: psycopg.Connection, databases: list[str]) -> dict[int, float]:
    """CPU seconds of the client backends connected to `databases`, by pid. `monitor` is one
    connection held for the whole bench: on a busy cluster a new one may find no free slot."""
    pids = monitor.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s) AND backend_type = 'client backend'"
        " AND pid <> pg_backend_pid()",
        (databases,),
    ).fetchall()
    seconds: dict[int, float] = {}
    for (pid,) in pids:
        try:
            seconds[pid] = _cpu(psutil.Process(pid))
        except psutil.NoSuchProcess:
            continue
    return seconds


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two readings; a process born in between counts from zero (one that
    died in between is lost: pools keep their connections under load, so this is rare)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


@dataclass
class Meter:
    """`start()` then `stop()` around a load: (server CPU s, PostgreSQL CPU s). `monitor`
    None: PostgreSQL is not on this machine, its CPU can't be read (NaN)."""

    server_pid: int
    monitor: psycopg.Connection | None
    databases: list[str]

    def start(self) -> None:
        self._server = tree(self.server_pid)
        self._postgres = backends(self.monitor, self.databases) if self.monitor else {}

    def stop(self) -> tuple[float, float]:
        server = spent(self._server, tree(self.server_pid))
        if not self.monitor:
            return server, math.nan
        return server, spent(self._postgres, backends(self.monitor, self.databases))
