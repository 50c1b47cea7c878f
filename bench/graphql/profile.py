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

# First match wins, on the frame's file (py-spy writes paths from the package root).
AREAS = [
    (
        "our loaders/pagination (+ DataLoader)",
        r"iafactory/resolvers/(loaders|pagination)\.py|strawberry/dataloader",
    ),
    ("our tenant scope and queries (db/)", r"iafactory/db/"),
    ("our schema extensions", r"iafactory/schema/extensions"),
    ("our middleware (request id, auth, rate limit)", r"iafactory/(middleware|governance/)"),
    ("our other code (resolvers, types, context)", r"iafactory/"),
    ("graphql-core", r"graphql/"),
    ("Strawberry extensions", r"strawberry/extensions/"),
    ("Strawberry (view, conversion, resolver wrappers)", r"strawberry/"),
    ("asyncpg", r"asyncpg/"),
    ("JSON", r"json/|orjson"),
    ("HTTP (uvicorn, httptools, Starlette)", r"uvicorn/|h11/|httptools|starlette/"),
    ("tokens (joserfc, cryptography)", r"joserfc/|cryptography/"),
    ("rate limit (limits)", r"limits/"),
    ("logging (structlog, logging)", r"structlog/|logging/"),
    ("asyncio (Python parts)", r"asyncio/"),
]
PATTERNS = [(name, re.compile(rf"\((?:{pattern})")) for name, pattern in AREAS]
# Every stack starts in `iafactory serve` -> uvicorn -> asyncio.Runner.run; a sample whose
# last Python frame is Runner.run is time in the event loop's native code (uvloop: polling
# sockets, running callbacks, stepping tasks).
ENTRY = "Runner.run (asyncio/runners.py"
EVENT_LOOP = "event loop, native (uvloop, task steps)"


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
    if frame.startswith(ENTRY):
        return EVENT_LOOP
    return next((name for name, pattern in PATTERNS if pattern.search(frame)), "other (stdlib, builtins)")


def summarise(raw: str) -> tuple[int, Counter[str], Counter[str], Counter[str]]:
    """(samples, self by area, inclusive by area, self by leaf function) from py-spy's raw
    output; frames up to the event loop's entry are the process's start, in every stack."""
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
        entry = max((i for i, frame in enumerate(frames) if frame.startswith(ENTRY)), default=-1)
        work = frames[entry + 1 :] or frames[-1:]
        total += samples
        own[area_of(frames[-1])] += samples
        leaves[frames[-1]] += samples
        for area in {area_of(frame) for frame in work}:
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
