"""`iafactory serve` and the embedded PostgreSQL as a newcomer meets them: one database in the
user's data directory whatever the current folder, stopped by the command that started it
(Ctrl-C included), and a taken port refused at once, in one line, before anything starts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from iafactory.db.embedded import start_embedded, stop_embedded
from tests.support.server import free_port


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """XDG_DATA_HOME of the commands below: their default data dir is `home/iafactory`."""
    home = tmp_path_factory.mktemp("xdg-data")
    yield home
    stop_embedded(home / "iafactory")


def environment(home: Path) -> dict[str, str]:
    """No DATABASE_URL and no IAFACTORY_DATA_DIR: the defaults a newcomer gets."""
    unset = {"DATABASE_URL", "IAFACTORY_DATA_DIR"}
    return {**{k: v for k, v in os.environ.items() if k not in unset}, "XDG_DATA_HOME": str(home)}


def iafactory(*args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Never cwd=home: with `python -m`, its iafactory/ folder would shadow the package.
    return subprocess.run(
        [sys.executable, "-m", "iafactory.cli", *args],
        cwd=cwd,
        env=environment(home),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def running(data_dir: Path) -> bool:
    return (data_dir / "pg" / "postmaster.pid").exists()


@pytest.mark.slow
def test_commands_run_from_any_folder_share_the_database_in_the_users_data_directory(
    home: Path, tmp_path: Path
) -> None:
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    here.mkdir()
    elsewhere.mkdir()
    for args, cwd in [(["migrate"], here), (["tenant", "create", "--name", "A", "--slug", "far-away"], here)]:
        done = iafactory(*args, home=home, cwd=cwd)
        assert done.returncode == 0, done.stderr
    listed = iafactory("tenant", "list", home=home, cwd=elsewhere)
    assert listed.returncode == 0, listed.stderr
    assert "far-away" in listed.stdout, "the same database, found from another folder"
    assert (home / "iafactory" / "pg" / "PG_VERSION").exists()
    assert not (here / ".iafactory").exists(), "nothing written into the current folder"


def test_a_command_stops_the_embedded_postgresql_it_started(home: Path, tmp_path: Path) -> None:
    for args in (["migrate"], ["tenant", "list"]):
        done = iafactory(*args, home=home, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert not running(home / "iafactory"), "no PostgreSQL left behind"


def test_a_command_on_a_database_never_migrated_says_to_migrate(tmp_path: Path) -> None:
    done = iafactory("tenant", "list", home=tmp_path / "fresh", cwd=tmp_path)
    assert done.returncode == 1
    assert "not migrated yet: run `iafactory migrate` first." in done.stderr
    stop_embedded(tmp_path / "fresh" / "iafactory")


def test_a_command_leaves_running_an_embedded_postgresql_it_did_not_start(home: Path, tmp_path: Path) -> None:
    start_embedded(home / "iafactory")  # as a running `make run` would have
    try:
        done = iafactory("tenant", "list", home=home, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert running(home / "iafactory"), "the other command's database is still up"
    finally:
        stop_embedded(home / "iafactory")


@pytest.mark.slow
def test_ctrl_c_on_serve_stops_the_embedded_postgresql_it_started(home: Path, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        serve = subprocess.Popen(
            [sys.executable, "-m", "iafactory.cli", "serve", "--port", str(port)],
            cwd=tmp_path,
            env={**environment(home), "IAFACTORY_TRANSCRIBE_WORKERS": "0"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and serve.poll() is None:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            assert running(home / "iafactory"), log.read_text()
            serve.send_signal(signal.SIGINT)
            assert serve.wait(timeout=60) == 0, log.read_text()
        finally:
            if serve.poll() is None:
                serve.kill()
    steps = log.read_text()
    assert "Starting the embedded PostgreSQL" in steps, steps
    assert "Applying database migrations" in steps, steps
    assert not running(home / "iafactory"), f"Ctrl-C stopped PostgreSQL too:\n{steps}"


def test_a_taken_port_fails_at_once_in_one_line_and_starts_nothing(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = iafactory("serve", "--port", str(port), home=tmp_path, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == "", "nothing printed before the refusal (no 'serving on')"
    assert done.stderr.splitlines() == [
        f"iafactory: cannot listen on 127.0.0.1:{port}: Address already in use (choose another with --port)"
    ]
    assert not (tmp_path / "iafactory").exists(), "no embedded database was started"
