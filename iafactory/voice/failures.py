"""What a failed transcription attempt means for its job, and what the uploader is told.

The uploader's reason never carries a server path, a stack trace or another tenant's data;
the details go to the worker's log.

Example:
    >>> outcome_of(OSError(errno.ENOSPC, "No space left on device"), reason=None)
    Outcome(kind='retry', message='The worker ran out of disk space; an operator has to free some.')
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import Literal

from iafactory.voice.containers import UnsupportedAudioError
from iafactory.voice.languages import UnsupportedLanguageError
from iafactory.voice.metering import AudioQuotaExceeded
from iafactory.voice.models import ModelNotAvailableError
from iafactory.voice.probe import AudioTooLong
from iafactory.voice.transcriber import TranscriptionCancelled

# Why a run was stopped from the loop (JobRun.abandon).
SHUTDOWN, GONE, STORE_FAILED = "shutdown", "gone", "store-failed"
MODEL_MISSING = "The speech model is not available on this server; an operator has to install it."
DISK_FULL = "The worker ran out of disk space; an operator has to free some."
INTERNAL = "The transcription failed on the worker (an internal error)."
_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


@dataclass(frozen=True, slots=True)
class Outcome:
    """fail: FAILED for good. retry: back to the queue, FAILED with `message` once out of
    attempts. shutdown: back to the queue, no attempt counted. gone: nothing to write."""

    kind: Literal["fail", "retry", "shutdown", "gone"]
    message: str | None = None


def outcome_of(error: BaseException, reason: str | None) -> Outcome:
    """`reason`: why the loop stopped the run, if it did (SHUTDOWN, GONE, STORE_FAILED)."""
    if isinstance(error, TranscriptionCancelled):
        if reason == SHUTDOWN:
            return Outcome("shutdown")
        if reason == STORE_FAILED:
            return Outcome("retry", INTERNAL)
        return Outcome("gone")
    if isinstance(error, UnsupportedAudioError):
        return Outcome("fail", f"The audio could not be decoded: {error.reason}.")
    if isinstance(error, AudioTooLong):
        return Outcome("fail", str(error))
    if isinstance(error, AudioQuotaExceeded):
        return Outcome("fail", error.reason)
    if isinstance(error, UnsupportedLanguageError):
        return Outcome("fail", f"Unsupported language: {error}.")
    # Worker faults: another attempt (maybe on another worker) may succeed.
    if isinstance(error, ModelNotAvailableError):
        return Outcome("retry", MODEL_MISSING)
    if isinstance(error, OSError) and error.errno in _DISK_FULL_ERRNOS:
        return Outcome("retry", DISK_FULL)
    return Outcome("retry", INTERNAL)
