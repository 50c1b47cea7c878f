"""The voice agent through the API, measured side by side with faster-whisper called directly.

    make bench ARGS="voice_api [--file tests/fixtures/audio/speech_en_long.ogg] [--model tiny.en]
                    [--threads 2] [--rounds 3] [--load-seconds 10] [--rate 40]"

1. Real-time factor (seconds of audio per second of wall time, higher is faster), each from
   the file (decoding included), same model, threads and beam size:
   - plain faster-whisper: WhisperModel.transcribe on the file, in this process (the baseline);
   - BatchedInferencePipeline at the server's batch size, in this process;
   - iafactory's Transcriber on the same file and loaded model;
   - the API: a real `iafactory serve` with one in-process worker, timed from the start of the
     upload to the COMPLETED event of the subscription.
   The server's model is loaded by a warm-up job first: a service loads it once per process.
   Goal: API / plain >= 0.9. The paths alternate in rounds (medians shown), so a neighbour's
   burst of CPU weighs on all of them alike.
2. Latency of a `me` query (open loop, --rate requests per second for --load-seconds), idle
   and while a long transcription (the clip repeated) runs on the same server, alternating
   for --rounds rounds (percentiles over the pooled samples). Goal: p99 while transcribing
   <= 2x idle.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.voice_direct import (
    DEFAULT_FILE,
    Run,
    measure_batched,
    measure_direct,
    measure_transcriber,
    repeated_wav,
    spoken,
    table,
)
from iafactory.priority import lower_priority
from iafactory.settings import Settings
from iafactory.voice.transcriber import Transcriber
from tests.support.database import cluster, lift_rate_limit, scratch_database
from tests.support.graphql import GraphQLClient, register
from tests.support.server import Server, start_server
from tests.voice_api.helpers import Subscriber, events, upload, uploaded_id

ME = "{ me { user { id } tenant { id } } }"


@dataclass(frozen=True)
class Latencies:
    samples: list[float]

    @property
    def p50_ms(self) -> float:
        return 1000 * statistics.median(self.samples)

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.samples)
        return 1000 * ordered[int(0.99 * (len(ordered) - 1))]


async def api_run(server: Server, token: str, content: Path, audio_seconds: float) -> Run:
    """From the start of the upload to the COMPLETED event, and the text it carries."""
    started = time.perf_counter()
    job_id = uploaded_id(
        await asyncio.to_thread(upload, server.graphql_url, token, content, filename=content.name)
    )
    messages = await Subscriber(server.ws_url, token).follow(job_id, within=3600)
    final = events(messages)[-1]["transcription"]
    if final["status"] != "COMPLETED":
        raise RuntimeError(f"the job ended {final['status']}")
    return Run(audio_seconds, time.perf_counter() - started, final["text"] or "")


async def me_latencies(url: str, token: str, *, seconds: float, rate: float) -> Latencies:
    """Open loop: one `me` every 1/rate s whatever the answers, each timed on its own."""
    samples: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64)) as http:

        async def one() -> None:
            started = time.perf_counter()
            response = await http.post(url, json={"query": ME}, headers=headers)
            samples.append(time.perf_counter() - started)
            assert not response.json().get("errors"), response.text

        tasks = []
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            tasks.append(asyncio.create_task(one()))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)
    return Latencies(samples)


async def while_transcribing(
    server: Server, token: str, long_audio: bytes, args: argparse.Namespace
) -> Latencies:
    job_id = uploaded_id(
        await asyncio.to_thread(upload, server.graphql_url, token, long_audio, filename="long.wav")
    )
    running = asyncio.Event()

    async def note(message: object) -> None:
        payload = getattr(message, "payload", None) or {}
        event = (payload.get("data") or {}).get("transcriptionProgress") or {}
        if event.get("segment") is not None:
            running.set()  # the first segment: the model is busy in the worker thread

    follower = asyncio.create_task(Subscriber(server.ws_url, token).follow(job_id, on_next=note, within=3600))
    await asyncio.wait_for(running.wait(), 300)
    busy = await me_latencies(server.graphql_url, token, seconds=args.load_seconds, rate=args.rate)
    messages = await follower
    if events(messages)[-1]["transcription"]["status"] != "COMPLETED":
        raise RuntimeError("the long job did not complete")
    if busy.samples and messages[-1].at < args.load_seconds:
        print("warning: the long job ended before the load did; use a longer --long-times")
    return busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--load-seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=40.0, help="`me` queries per second")
    parser.add_argument("--long-times", type=int, default=4, help="how many times the clip is repeated")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="iafactory-bench-"))
    data_dir = Path(os.environ.get("IAFACTORY_DATA_DIR", work / "data"))

    # The in-process baselines run at the niceness the server gives its inference threads,
    # in one thread that also loads the model (the threads CTranslate2 starts inherit it):
    # on a shared machine, other processes then weigh on both paths alike.
    defaults = Settings(_env_file=None)
    baseline = ThreadPoolExecutor(
        max_workers=1, initializer=lower_priority, initargs=(defaults.transcribe_nice,)
    )
    batch = defaults.whisper_batch_size
    transcriber = Transcriber(args.model, data_dir=data_dir, cpu_threads=args.threads, batch_size=batch)
    model = baseline.submit(lambda: transcriber.model).result()

    rows: dict[str, list[Run]] = {
        "plain faster-whisper": [],
        f"BatchedInferencePipeline (batch {batch})": [],
        "iafactory Transcriber": [],
        "through the API": [],
    }
    with (
        cluster(work / "embedded") as admin_url,
        scratch_database(admin_url, prefix="iafactory_bench") as database_url,
    ):
        server = start_server(
            database_url,
            data_dir,
            IAFACTORY_TRANSCRIBE_WORKERS="1",
            IAFACTORY_WHISPER_MODEL=args.model,
            IAFACTORY_WHISPER_THREADS=str(args.threads),
            IAFACTORY_WHISPER_BATCH_SIZE=str(batch),
            IAFACTORY_LOG_LEVEL="WARNING",
            IAFACTORY_REGISTER_RATE_LIMIT="1000/minute",
        )
        try:
            account = register(GraphQLClient(server.graphql_url), name="bench")
            lift_rate_limit(database_url, account.tenant_id)  # the load below is far over FREE's
            token = account.access_token
            asyncio.run(api_run(server, token, args.file, 0.0))  # loads the model
            for _ in range(args.rounds):
                for label, measure in (
                    ("plain faster-whisper", lambda: measure_direct(args.file, model=model)),
                    (
                        f"BatchedInferencePipeline (batch {batch})",
                        lambda: measure_batched(args.file, model=model, batch_size=batch),
                    ),
                    (
                        "iafactory Transcriber",
                        lambda: measure_transcriber(args.file, transcriber=transcriber),
                    ),
                ):
                    rows[label].append(baseline.submit(measure).result())
                audio = rows["plain faster-whisper"][0].audio_seconds
                rows["through the API"].append(asyncio.run(api_run(server, token, args.file, audio)))
            # Idle and busy windows alternate too; each row pools its rounds' samples.
            long_audio = repeated_wav(args.file, args.long_times)
            idle, busy = Latencies([]), Latencies([])
            for _ in range(args.rounds):
                idle.samples.extend(
                    asyncio.run(
                        me_latencies(server.graphql_url, token, seconds=args.load_seconds, rate=args.rate)
                    ).samples
                )
                busy.samples.extend(asyncio.run(while_transcribing(server, token, long_audio, args)).samples)
        finally:
            server.stop()

    audio = rows["plain faster-whisper"][0].audio_seconds
    print(
        f"{args.file.name}: {audio:.1f} s audio, model {args.model}, {args.threads} threads,"
        f" {args.rounds} alternating rounds"
    )
    print("\n".join(table(rows, baseline="plain faster-whisper", said=spoken(args.file))))
    api = statistics.median(r.wall_seconds for r in rows["through the API"])
    plain = statistics.median(r.wall_seconds for r in rows["plain faster-whisper"])
    print(f"  API / plain faster-whisper   {plain / api:6.2f}   (medians; goal >= 0.9)")
    print(f"`me` at {args.rate:.0f}/s, {args.rounds} alternating windows of {args.load_seconds:.0f} s each:")
    for label, measured in (("idle", idle), ("while transcribing", busy)):
        print(
            f"  {label:22} p50 {measured.p50_ms:6.1f} ms  p99 {measured.p99_ms:6.1f} ms"
            f"  (n={len(measured.samples)})"
        )
    print(f"  p99 ratio              {busy.p99_ms / idle.p99_ms:6.2f}   (goal <= 2)")


if __name__ == "__main__":
    main()
