"""Which language codes a transcription request may ask for.

Example:
    >>> validate_language(" FR ", model_spec="base")
    'fr'
    >>> validate_language("fr", model_spec="tiny.en")
    Traceback (most recent call last):
    UnsupportedLanguageError: language 'fr' is not supported by model 'tiny.en' (only: en)
"""

# faster-whisper has no public list; this tuple is what its Tokenizer validates against.
from faster_whisper.tokenizer import _LANGUAGE_CODES

LANGUAGE_CODES: frozenset[str] = frozenset(_LANGUAGE_CODES)
ENGLISH_ONLY: frozenset[str] = frozenset({"en"})


class UnsupportedLanguageError(ValueError):
    """The requested language code is unknown, or the model cannot transcribe it."""

    def __init__(self, code: str, model_spec: str, allowed: frozenset[str]) -> None:
        shown = ", ".join(sorted(allowed)) if len(allowed) <= 5 else f"{len(allowed)} codes"
        super().__init__(f"language {code!r} is not supported by model {model_spec!r} (only: {shown})")
        self.code = code
        self.model_spec = model_spec


def is_english_only(model_spec: str) -> bool:
    """Whisper's English-only checkpoints are named `*.en` (tiny.en, Systran/faster-whisper-base.en)."""
    return model_spec.rstrip("/").rsplit("/", 1)[-1].endswith(".en")


def allowed_languages(model_spec: str) -> frozenset[str]:
    return ENGLISH_ONLY if is_english_only(model_spec) else LANGUAGE_CODES


def validate_language(code: str | None, *, model_spec: str) -> str | None:
    """Normalise `code` ("FR" -> "fr"); None or blank means "detect it". Raises UnsupportedLanguageError."""
    if code is None or not code.strip():
        return None
    normalised = code.strip().lower()
    allowed = allowed_languages(model_spec)
    if normalised not in allowed:
        raise UnsupportedLanguageError(normalised, model_spec, allowed)
    return normalised
