"""Where our server's CPU goes under load: py-spy samples (`pip install py-spy`, native
frames included), summed by area. "self" puts a sample in one area: the garbage collector
if it was running, system calls if the leaf is one, else the innermost frame that belongs to
an area; "inclusive" counts it for every area on the stack (areas nest, so these overlap)."""

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
# Every stack starts in `iafactory serve` -> uvicorn -> asyncio.Runner.run; a sample with no
# frame of any area below Runner.run is time in the event loop's own native code (uvloop:
# polling sockets, running callbacks, stepping tasks).
ENTRY = "Runner.run (asyncio/runners.py"
EVENT_LOOP = "event loop, native (uvloop, task steps)"
GC = "garbage collection (gc_collect_main)"
SYSCALLS = "system calls (socket writes and reads)"
SYSCALL = re.compile(r"^(write|writev|read|readv|send|sendto|sendmsg|recv|recvfrom|recvmsg|epoll_\w+) \(")
PYTHON = re.compile(r"\((?:[^()]*\.py|<string>|<frozen [^>]*>):\d+\)$")
OTHER = "other (stdlib, builtins)"


def record(pid: int, seconds: int, out: Path) -> bool:
    """Raw (collapsed) stacks of `pid` into `out`, native frames included (py-spy then pauses
    the process for each sample, hence the modest rate); False when py-spy is missing or refused."""
    py_spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if py_spy is None:
        print("py-spy not found: pip install py-spy (the profile is skipped)")
        return False
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "100",
               "--format", "raw", "--output", str(out), "--native"]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        print(f"py-spy failed: {completed.stderr.strip()[-500:]}")
    return completed.returncode == 0


def area_of(frame: str) -> str:
    if frame.startswith(ENTRY):
        return EVENT_LOOP
    return next((name for name, pattern in PATTERNS if pattern.search(frame)), OTHER)


def own_area(frames: list[str], work: list[str]) -> str:
    if any(frame.startswith("gc_collect") for frame in frames):
        return GC
    if SYSCALL.match(frames[-1]):
        return SYSCALLS
    for frame in reversed(work):
        area = area_of(frame)
        if area != OTHER or PYTHON.search(frame):
            return area
    return EVENT_LOOP


def summarise(raw: str) -> tuple[int, Counter[str], Counter[str], Counter[str]]:
    """(samples, self by area, inclusive by area, samples by leaf frame) from py-spy's raw
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
        work = frames[entry + 1 :]
        area = own_area(frames, work)
        total += samples
        own[area] += samples
        leaves[frames[-1]] += samples
        on_stack = {area_of(f) for f in work if PYTHON.search(f) or area_of(f) != OTHER} | {area}
        for name in on_stack:
            inclusive[name] += samples
    return total, own, inclusive, leaves


def report(raw: str, *, top: int = 15) -> str:
    total, own, inclusive, leaves = summarise(raw)
    if not total:
        return "no samples"
    lines = [f"{total} samples; share of samples by area (self / inclusive):"]
    for area, samples in own.most_common():
        lines.append(f"  {area:50} {100 * samples / total:5.1f}%  {100 * inclusive[area] / total:5.1f}%")
    lines.append(f"top {top} leaf frames:")
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in leaves.most_common(top)]
    return "\n".join(lines)
