"""`python -m bench [name]`: run one benchmark, or the request-path one by default."""

from __future__ import annotations

import runpy
import sys

BENCHMARKS = {
    "request_path": "bench.request_path",
    "graphql": "bench.graphql",
    "voice_direct": "bench.voice_direct",
    "voice_api": "bench.voice_api",
    "retrieval": "bench.retrieval",
    "apq": "bench.apq",
    "semantic": "bench.semantic",
    "soak": "bench.soak",
}

if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else "request_path"
    if name not in BENCHMARKS:
        sys.exit(f"unknown benchmark {name!r}; one of {', '.join(BENCHMARKS)}")
    sys.argv = [BENCHMARKS[name], *sys.argv[2:]]
    runpy.run_module(BENCHMARKS[name], run_name="__main__")
