"""A raw graphql-transport-ws client for `transcriptionProgress` (websockets), so that tests
and the soak bench control every message: connection_init with the token, subscribe, pong,
and every message kept with the seconds since subscribe when it arrived."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websockets

PROGRESS = """
subscription Progress($id: ID!) {
  transcriptionProgress(id: $id) {
    transcription { id status progress segmentCount text error attempts document { id source } }
    segment { start end text }
  }
}"""


@dataclass
class Received:
    """One message of a subscription, with the seconds since subscribe when it arrived."""

    at: float
    type: str
    payload: Any = None


@dataclass
class Subscriber:
    """A raw graphql-transport-ws client (websockets), so tests control every message."""

    ws_url: str
    token: str
    messages: list[Received] = field(default_factory=list)

    async def follow(
        self,
        job_id: str,
        *,
        query: str = PROGRESS,
        within: float = 120,
        on_next: Any = None,
        delay: float = 0.0,
        until: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[Received]:
        """Subscribe and collect messages until `complete` or `error`, or an event `until` accepts."""
        async with websockets.connect(self.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {self.token}"}})
            )
            ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert ack["type"] == "connection_ack", ack
            await asyncio.sleep(delay)  # e.g. let a short-lived token expire after connecting
            started = time.monotonic()
            await ws.send(
                json.dumps(
                    {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"id": job_id}}}
                )
            )
            async with asyncio.timeout(within):
                async for raw in ws:
                    message = json.loads(raw)
                    if message["type"] == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                        continue
                    received = Received(time.monotonic() - started, message["type"], message.get("payload"))
                    self.messages.append(received)
                    if on_next is not None and received.type == "next":
                        await on_next(received)
                    if message["type"] in ("complete", "error"):
                        break
                    if until is not None and received.type == "next":
                        data = (received.payload.get("data") or {}).get("transcriptionProgress")
                        if data and until(data):
                            break
        return self.messages


def events(messages: list[Received]) -> list[dict[str, Any]]:
    """The transcriptionProgress payloads of the `next` messages that carry data."""
    return [
        m.payload["data"]["transcriptionProgress"]
        for m in messages
        if m.type == "next" and (m.payload.get("data") or {}).get("transcriptionProgress")
    ]
