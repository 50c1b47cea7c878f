"""Where our server's CPU goes under load: py-spy samples (`pip install py-spy`), summed by
area. "self" is the time in the area's own frames (the leaf); "inclusive" counts a sample
for an area when any frame of the stack is in it (areas nest, so these overlap)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

# First match wins, on the frame's file path.
AREAS = [
    ("our loaders/pagination", re.compile(r"iafactory/resolvers/(loaders|pagination)\.py")),
    ("our tenant scope (db/scope.py)", re.compile(r"iafactory/db/")),
    ("our other code", re.compile(r"iafactory/")),
    ("graphql-core", re.compile(r"/graphql/")),
    ("Strawberry", re.compile(r"/strawberry/")),
    ("asyncpg", re.compile(r"/asyncpg/")),
    ("JSON", re.compile(r"/json/|orjson")),
    ("HTTP (uvicorn, h11/httptools, Starlette)", re.compile(r"/(uvicorn|h11|httptools|starlette)/")),
    ("token verification (joserfc, cryptography)", re.compile(r"/(joserfc|cryptography)/")),
    ("rate limit (limits)", re.compile(r"/limits/")),
    ("logging (structlog, logging)", re.compile(r"/(structlog|logging)/")),
    ("asyncio", re.compile(r"/asyncio/|uvloop")),
]
FRAME = re.compile(r"\((?P<file>[^():]+)(?::\d+)?\)$")


def record(pid: int, seconds: int, out: Path) -> bool:
    """Raw (collapsed) stacks of `pid` into `out`; False when py-spy is missing or refused."""
    py_spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if py_spy is None:
        print("py-spy not found: pip install py-spy (the profile is skipped)")
        return False
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "250",
               "--format", "raw", "--output", str(out), "--nonblocking"]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        print(f"py-spy failed: {completed.stderr.strip()[-500:]}")
    return completed.returncode == 0


def area_of(frame: str) -> str:
    match = FRAME.search(frame)
    path = match.group("file") if match else frame
    return next((name for name, pattern in AREAS if pattern.search(path)), "other (stdlib, builtins)")


def summarise(raw: str) -> tuple[int, Counter[str], Counter[str], Counter[str]]:
    """(samples, self by area, inclusive by area, self by leaf function) from py-spy's raw output."""
    total = 0
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = stack.split(";")
        total += samples
        own[area_of(frames[-1])] += samples
        leaves[frames[-1]] += samples
        for area in {area_of(frame) for frame in frames}:
            inclusive[area] += samples
    return total, own, inclusive, leaves


def report(raw: str, *, top: int = 15) -> str:
    total, own, inclusive, leaves = summarise(raw)
    if not total:
        return "no samples"
    lines = [f"{total} samples; share of samples by area (self / inclusive):"]
    for area, samples in own.most_common():
        lines.append(f"  {area:45} {100 * samples / total:5.1f}%  {100 * inclusive[area] / total:5.1f}%")
    lines.append(f"top {top} functions (self):")
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in leaves.most_common(top)]
    return "\n".join(lines)
