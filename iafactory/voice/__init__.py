"""Voice agent: audio uploads, durable transcription jobs, the faster-whisper engine.

Upload side (called by resolvers/voice.py): containers.py (demuxer chosen by content),
probe.py (the upload-time check), storage.py (where audio lives), jobs.py (enqueue, cancel).
Worker side: runtime.py (what a process runs) -> slots.py (claim loop) -> job_run.py (one job:
fetch, meter, transcribe, write) with leased.py (lease-checked writes), metering.py (decoded
audio against the tenant's quota) and failures.py (what an error means for the job).
Engine: transcriber.py over decoding.py (blocks of 16 kHz audio), batched.py (Whisper windows
decoded a batch at a time, none cut short) and models.py.
This package imports nothing from schema/, resolvers/ or governance/.
"""
