"""Count a job's decoded audio against the tenant's month, ahead of transcribing it.

At upload the audio quota is checked against the duration the file's header declares
(the `quota_audio` trigger of migrations/0004_governance.py). Headers lie: a 20 s file can
say 1 s. So the worker reports every block it decodes, before it is transcribed; once the
decoded audio outgrows what was already counted for the job, the job's `duration` is raised
to it and the database's own quota check (`app.enforce_quota`, with its per-tenant lock, its
plan and its operator overrides) runs again in the same transaction. Refused: the job stops
FAILED, which releases its seconds (a failed job is never billed); completed: it is billed
what was decoded, not what the header said.

Example (on the worker's event loop):
    >>> meter = AudioMeter(pool, job, worker_id="host:42:0", counted=spec.duration)
    >>> await meter.reserve(300.0)  # raises AudioQuotaExceeded when the month is used up
"""

from __future__ import annotations

import asyncpg

from iafactory.errors import QuotaExceeded
from iafactory.voice.jobs import HELD, ClaimedJob, job_request_id, tenant_transaction

# The decoded length of an honest file differs from its header by a fraction of a second.
TOLERANCE_SECONDS = 1.0


class AudioQuotaExceeded(Exception):
    """The job's decoded audio does not fit in what the tenant has left; `reason` is for the uploader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AudioMeter:
    def __init__(self, pool: asyncpg.Pool, job: ClaimedJob, *, worker_id: str, counted: float | None) -> None:
        self._pool = pool
        self._job = job
        self._worker_id = worker_id
        self.declared = counted or 0.0
        self.counted = self.declared

    async def reserve(self, decoded_seconds: float) -> None:
        """Make sure `decoded_seconds` are counted for this job, or raise AudioQuotaExceeded."""
        if decoded_seconds <= self.counted + TOLERANCE_SECONDS:
            return
        job = self._job
        try:
            async with tenant_transaction(self._pool, job.tenant_id, request_id=job_request_id(job)) as db:
                held = await db.execute(
                    f"UPDATE transcriptions SET duration = $4 WHERE {HELD}",
                    job.tenant_id,
                    job.id,
                    self._worker_id,
                    decoded_seconds,
                )
                if held.endswith(" 1"):
                    await db.execute("SELECT app.enforce_quota($1, 'audio')", job.tenant_id)
        except QuotaExceeded as error:  # SQLSTATE IA402, as every statement's error is translated
            raise AudioQuotaExceeded(
                f"The audio is longer than its header declared ({self.declared:.1f} s): more than"
                f" {decoded_seconds:.0f} s were decoded, which is over this tenant's audio quota."
                f" {error.args[0] if error.args else ''}".rstrip()
            ) from error
        self.counted = decoded_seconds
