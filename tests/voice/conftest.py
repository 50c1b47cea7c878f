"""Shared fixtures for the voice tests: the committed audio clips and one data dir per run."""

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from iafactory.voice.transcriber import Transcriber

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"

WordRecall = Callable[[str, str], float]


@pytest.fixture(scope="session")
def audio_dir() -> Path:
    """tests/fixtures/audio: the committed clips, made by make_clips.sh."""
    return AUDIO


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data dir for the whole run, so the bundled base model is joined at most once."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def spoken() -> dict[str, str]:
    """What the clips say, keyed by language: the text espeak-ng was given."""
    texts: dict[str, str] = json.loads((AUDIO / "transcripts.json").read_text(encoding="utf-8"))
    return texts


@pytest.fixture(scope="session")
def tiny_en(data_dir: Path) -> Transcriber:
    return Transcriber("tiny.en", data_dir=data_dir)


@pytest.fixture(scope="session")
def word_recall() -> WordRecall:
    """Share of the reference words found in the hypothesis, ignoring case and punctuation."""

    def words(text: str) -> Counter[str]:
        normalised = unicodedata.normalize("NFC", text.lower()).replace("\u2019", "'")
        return Counter(re.findall(r"\w+", normalised))

    def recall(reference: str, hypothesis: str) -> float:
        expected = words(reference)
        return sum((expected & words(hypothesis)).values()) / sum(expected.values())

    return recall
