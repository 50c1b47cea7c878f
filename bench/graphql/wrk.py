"""Load from `wrk` (Debian package): -t2 -c16 by default, the requests of 8 tenants rotating
(rotate.lua), one summary line parsed into a `Run`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("rotate.lua")
SUMMARY = re.compile(r"^BENCH (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int  # non-200 answers and GraphQL errors
    socket_errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def parse(output: str) -> Run:
    """The line rotate.lua's done() prints:

    >>> parse("BENCH requests=10 duration_us=2000000 p50_us=1500 p99_us=9000 failures=0 socket_errors=0")
    Run(requests=10, seconds=2.0, p50_ms=1.5, p99_ms=9.0, failures=0, socket_errors=0)
    """
    match = SUMMARY.search(output)
    if match is None:
        raise ValueError(f"no summary line in wrk's output:\n{output}")
    fields = {k: int(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    return Run(
        requests=fields["requests"],
        seconds=fields["duration_us"] / 1e6,
        p50_ms=fields["p50_us"] / 1e3,
        p99_ms=fields["p99_us"] / 1e3,
        failures=fields["failures"],
        socket_errors=fields["socket_errors"],
    )


def lua_requests(entries: list[tuple[str, dict[str, object]]]) -> str:
    """A Lua chunk returning {token, body} pairs (long brackets: no escaping needed in JSON)."""
    lines = [f"  {{token = [==[{token}]==], body = [==[{json.dumps(body)}]==]}}," for token, body in entries]
    return "return {\n" + "\n".join(lines) + "\n}\n"


def run(url: str, requests_file: Path, *, seconds: int, threads: int = 2, connections: int = 16) -> Run:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(SCRIPT), url, "--", str(requests_file),
    ]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    return parse(completed.stdout)
