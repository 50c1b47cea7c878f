"""CPU-heavy background work (transcription, embedding) runs below the event loop, so the API
answers first and the background work takes the rest of the cores.

Example (a thread pool's initializer):
    >>> ThreadPoolExecutor(max_workers=1, initializer=lower_priority, initargs=(10,))
"""

from __future__ import annotations

import os
import threading

import structlog

log = structlog.get_logger("iafactory.priority")


def lower_priority(niceness: int) -> None:
    """Lower the calling thread's priority by `niceness` (nothing when 0 or less).

    On Linux the niceness is per thread, and the threads that CTranslate2 and onnxruntime
    start from this one (their models load lazily here) inherit it. When the API is idle the
    background work still gets every core, so its speed is unchanged.
    """
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except OSError as error:
        log.warning("could not lower a background thread's priority", error=str(error))
