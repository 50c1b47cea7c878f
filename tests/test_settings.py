"""Settings defaults a newcomer relies on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from iafactory.settings import Settings

PRINT_DATA_DIR = "from iafactory.settings import Settings; print(Settings(_env_file=None).data_dir)"


def data_dir_seen_from(cwd: Path, xdg_data_home: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "IAFACTORY_DATA_DIR"}
    done = subprocess.run(
        [sys.executable, "-c", PRINT_DATA_DIR],
        cwd=cwd,
        env={**env, "XDG_DATA_HOME": str(xdg_data_home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_the_data_dir_defaults_to_the_users_data_directory_whatever_the_current_folder(
    tmp_path: Path,
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    seen = {data_dir_seen_from(tmp_path / folder, tmp_path / "xdg") for folder in ("a", "b")}
    assert seen == {str(tmp_path / "xdg" / "iafactory")}, "not ./.iafactory: one per user, not per folder"


def test_a_data_dir_under_home_is_expanded() -> None:
    settings = Settings(_env_file=None, IAFACTORY_DATA_DIR="~/iafactory-data")
    assert settings.data_dir == Path.home() / "iafactory-data"
