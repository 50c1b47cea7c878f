"""`iafactory transcribe` when the server cannot be reached: one line, no traceback."""

from __future__ import annotations

from tests.helpers import cli
from tests.support.server import free_port
from tests.voice_api.helpers import AUDIO


def test_transcribe_against_a_server_that_is_down_prints_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}/graphql"  # nobody listens there
    done = cli("transcribe", str(AUDIO / "speech_en.wav"), "--url", url, "--token", "t", database_url=None)
    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith(f"iafactory: cannot reach the server at {url} ("), line
    assert line.endswith("is `iafactory serve` running?"), line
