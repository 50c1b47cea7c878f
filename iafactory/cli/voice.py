"""`transcribe`: the terminal client of the voice agent."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import click

from iafactory.cli.common import fail, main

T = TypeVar("T")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--language", default=None, help="Language code (en, fr...); detected when omitted.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "srt", "vtt"]),
    default="text",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the result here instead of stdout.",
)
@click.option("--url", envvar="IAFACTORY_URL", default="http://127.0.0.1:8000/graphql", show_default=True)
@click.option("--token", envvar="IAFACTORY_TOKEN", default=None, help="Access token [env: IAFACTORY_TOKEN].")
@click.option("--email", envvar="IAFACTORY_EMAIL", default=None, help="Sign in with this instead of --token.")
@click.option("--password", envvar="IAFACTORY_PASSWORD", default=None)
@click.option("--project", "project_id", default=None, help="Project id to file the transcription under.")
@click.option("--add-to-knowledge-base", is_flag=True, help="Store the text as a document when done.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def transcribe(
    file: Path,
    language: str | None,
    output_format: str,
    output: Path | None,
    url: str,
    token: str | None,
    email: str | None,
    password: str | None,
    project_id: str | None,
    add_to_knowledge_base: bool,
    quiet: bool,
) -> None:
    """Transcribe FILE through the API, with a live progress bar; print the text or SRT/VTT."""
    import httpx
    from gql.transport.exceptions import TransportConnectionFailed, TransportError
    from websockets.exceptions import WebSocketException

    from iafactory.cli.transcribe_client import ClientError, run

    try:
        # Before any progress bar: a server that is down is then one line, at once.
        httpx.head(url, timeout=10)
        run(
            file,
            url=url,
            token=token,
            email=email,
            password=password,
            language=language,
            project_id=project_id,
            add_to_knowledge_base=add_to_knowledge_base,
            output_format=output_format,
            output=output,
            quiet=quiet,
        )
    except ClientError as error:
        fail(str(error))
    # A server that is down, unreachable or failing: one line, never a traceback.
    except (TransportConnectionFailed, httpx.TransportError, OSError) as error:
        fail(f"cannot reach the server at {url} ({_first_line(error)}): is `iafactory serve` running?")
    except (TransportError, WebSocketException) as error:
        fail(f"the server at {url} failed: {_first_line(error)}")


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
