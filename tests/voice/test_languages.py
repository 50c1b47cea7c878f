"""Language codes: what a request may ask for, per model."""

import pytest

from iafactory.voice.languages import (
    LANGUAGE_CODES,
    UnsupportedLanguageError,
    is_english_only,
    validate_language,
)


def test_whisper_knows_about_a_hundred_languages() -> None:
    assert {"en", "fr", "de", "ar", "zh"} <= LANGUAGE_CODES
    assert len(LANGUAGE_CODES) >= 99


def test_codes_are_normalised() -> None:
    assert validate_language(" FR ", model_spec="base") == "fr"


@pytest.mark.parametrize("code", [None, "", "  "])
def test_no_code_means_detect_the_language(code: str | None) -> None:
    assert validate_language(code, model_spec="base") is None


@pytest.mark.parametrize("code", ["xx", "french", "fr-FR"])
def test_unknown_codes_are_refused(code: str) -> None:
    with pytest.raises(UnsupportedLanguageError, match="not supported"):
        validate_language(code, model_spec="base")


@pytest.mark.parametrize("spec", ["tiny.en", "Systran/faster-whisper-base.en", "/models/small.en/"])
def test_models_named_dot_en_are_english_only(spec: str) -> None:
    assert is_english_only(spec)
    assert validate_language("en", model_spec=spec) == "en"
    with pytest.raises(UnsupportedLanguageError, match="only: en"):
        validate_language("fr", model_spec=spec)


def test_multilingual_models_accept_french() -> None:
    assert not is_english_only("base")
    assert validate_language("fr", model_spec="base") == "fr"
