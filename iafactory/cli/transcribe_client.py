"""`iafactory transcribe FILE`: the voice agent as a terminal user sees it, through the public API.

Uploads the file with the GraphQL multipart request spec (gql, over HTTP), follows the job
with the `transcriptionProgress` subscription (gql, graphql-transport-ws) while a progress
bar moves, then prints the text or writes SRT / WebVTT.

Example:
    $ iafactory transcribe meeting.m4a --language fr --format srt -o meeting.srt
    meeting.m4a  RUNNING ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━  62%  0:00:07
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gql import Client, FileVar, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
FIELDS = "id status progress filename error text detectedLanguage duration"
UPLOAD = f"""
mutation Transcribe($file: Upload!, $language: String, $projectId: ID, $kb: Boolean) {{
  transcribeAudio(file: $file, language: $language, projectId: $projectId, addToKnowledgeBase: $kb) {{
    {FIELDS}
  }}
}}"""
PROGRESS = f"""
subscription Progress($id: ID!) {{
  transcriptionProgress(id: $id) {{ transcription {{ {FIELDS} }} segment {{ start end text }} }}
}}"""
SUBTITLES = """
query Subtitles($id: ID!, $format: TranscriptFormat!) {
  transcription(id: $id) { subtitles(format: $format) }
}"""
CANCEL = "mutation Cancel($id: ID!) { cancelTranscription(id: $id) { status } }"
LOGIN = """mutation Login($input: LoginInput!) { login(input: $input) { accessToken } }"""


class ClientError(Exception):
    """A failure to show the user in one line (the server's message and code when it sent one)."""


@dataclass
class Outcome:
    transcription: dict[str, Any]
    output: str


def describe(error: TransportQueryError) -> str:
    details = []
    for item in error.errors or []:
        code = (item.get("extensions") or {}).get("code")
        details.append(f"{item.get('message')}" + (f" ({code})" if code else ""))
    return "; ".join(details) or str(error)


def _http(url: str, token: str | None) -> HTTPXAsyncTransport:
    headers = {"Apollo-Require-Preflight": "true"}  # the server's CSRF guard on multipart
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return HTTPXAsyncTransport(url=url, headers=headers, timeout=300)


def ws_url(url: str) -> str:
    return "ws" + url[len("http") :] if url.startswith("http") else url


async def login(url: str, email: str, password: str) -> str:
    async with Client(transport=_http(url, None)) as session:
        try:
            result = await session.execute(
                GraphQLRequest(LOGIN, variable_values={"input": {"email": email, "password": password}})
            )
        except TransportQueryError as error:
            raise ClientError(describe(error)) from error
    return str(result["login"]["accessToken"])


async def transcribe(
    path: Path,
    *,
    url: str,
    token: str,
    language: str | None = None,
    project_id: str | None = None,
    add_to_knowledge_base: bool = False,
    output_format: str = "text",
    on_event: Callable[[dict[str, Any], dict[str, Any] | None], None] | None = None,
    on_queued: Callable[[str], None] | None = None,
) -> Outcome:
    """Upload, follow to the end, and return the final state and the rendered output."""
    async with Client(transport=_http(url, token)) as session:
        try:
            with path.open("rb") as handle:
                result = await session.execute(
                    GraphQLRequest(
                        UPLOAD,
                        variable_values={
                            "file": FileVar(handle, filename=path.name),
                            "language": language,
                            "projectId": project_id,
                            "kb": add_to_knowledge_base,
                        },
                    ),
                    upload_files=True,
                )
        except TransportQueryError as error:
            raise ClientError(describe(error)) from error
        job = result["transcribeAudio"]
        if on_queued is not None:
            on_queued(job["id"])
        final = await follow(job["id"], url=url, token=token, on_event=on_event) or job
        if final["status"] != "COMPLETED":
            reason = final.get("error") or final["status"].lower()
            raise ClientError(f"transcription {final['status']}: {reason}")
        if output_format == "text":
            return Outcome(final, (final.get("text") or "") + "\n")
        rendered = await session.execute(
            GraphQLRequest(SUBTITLES, variable_values={"id": job["id"], "format": output_format.upper()})
        )
        return Outcome(final, rendered["transcription"]["subtitles"] or "")


async def follow(
    job_id: str,
    *,
    url: str,
    token: str,
    on_event: Callable[[dict[str, Any], dict[str, Any] | None], None] | None = None,
) -> dict[str, Any] | None:
    """The subscription, to its terminal event; returns the last transcription state."""
    transport = WebsocketsTransport(
        url=ws_url(url),
        init_payload={"Authorization": f"Bearer {token}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    last: dict[str, Any] | None = None
    async with Client(transport=transport) as session:
        try:
            async for event in session.subscribe(GraphQLRequest(PROGRESS, variable_values={"id": job_id})):
                payload = event["transcriptionProgress"]
                last = payload["transcription"]
                if on_event is not None:
                    on_event(last, payload.get("segment"))
                if last["status"] in TERMINAL:
                    break
        except TransportQueryError as error:
            raise ClientError(describe(error)) from error
    return last


async def cancel(job_id: str, *, url: str, token: str) -> None:
    async with Client(transport=_http(url, token)) as session:
        await session.execute(GraphQLRequest(CANCEL, variable_values={"id": job_id}))


def run(
    path: Path,
    *,
    url: str,
    token: str | None,
    email: str | None,
    password: str | None,
    language: str | None,
    project_id: str | None,
    add_to_knowledge_base: bool,
    output_format: str,
    output: Path | None,
    quiet: bool,
) -> None:
    """The command's body: a progress bar on stderr, the result on stdout (or in `output`).

    Ctrl-C cancels the job on the server, so nothing keeps running behind the user's back.
    """
    if not path.is_file():
        raise ClientError(f"no such file: {path}")
    if token is None:
        if not (email and password):
            raise ClientError("give --token (or IAFACTORY_TOKEN), or --email and --password")
        token = asyncio.run(login(url, email, password))
    console = Console(stderr=True)
    job: list[str] = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=False,
    ) as bar:
        task = bar.add_task(f"{path.name}  UPLOADING", total=1.0)

        def on_event(transcription: dict[str, Any], segment: dict[str, Any] | None) -> None:
            bar.update(
                task,
                completed=transcription["progress"],
                description=f"{path.name}  {transcription['status']}",
            )

        try:
            outcome = asyncio.run(
                transcribe(
                    path,
                    url=url,
                    token=token,
                    language=language,
                    project_id=project_id,
                    add_to_knowledge_base=add_to_knowledge_base,
                    output_format=output_format,
                    on_event=on_event,
                    on_queued=job.append,
                )
            )
        except KeyboardInterrupt:
            if job:
                with contextlib.suppress(Exception):
                    asyncio.run(cancel(job[0], url=url, token=token))
                raise ClientError(f"interrupted: transcription {job[0]} cancelled") from None
            raise ClientError("interrupted") from None
        except OSError as error:
            raise ClientError(f"cannot reach {url}: {error}") from error
    if output is not None:
        output.write_text(outcome.output, encoding="utf-8")
        if not quiet:
            console.print(f"wrote {output}")
    else:
        print(outcome.output, end="")
