"""Logs: one pipeline for every line of the process.

structlog's processors (request, tenant and user ids from the context, level, logger name,
timestamp) run for our own events and, through `ProcessorFormatter` on the root logger, for
every standard-library record too (uvicorn, asyncpg, Strawberry, Alembic). Lines are JSON,
or structlog's coloured console format when stderr is a terminal and IAFACTORY_LOG_JSON is
not set.

Our own events are rendered by structlog and written straight through the root handler (its
stream, under its lock), without becoming standard-library records on the way: a request
logs one line, and the detour (two LogRecords, a caller-frame search, the formatter's copy)
cost more than the rest of a compiled read's Python work.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, TextIO

import orjson
import structlog

from iafactory.settings import Settings

# Tracebacks WITHOUT frame locals in both formats: locals would put passwords and tokens (a
# login resolver's `input`) into the log.
_JSON_EXCEPTIONS = structlog.processors.ExceptionRenderer(
    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
)
_CONSOLE_EXCEPTIONS = structlog.dev.RichTracebackFormatter(show_locals=False)


def renders_json(settings: Settings, stream: TextIO) -> bool:
    """IAFACTORY_LOG_JSON when set; otherwise JSON unless `stream` is a terminal."""
    if settings.log_json is not None:
        return settings.log_json
    return not stream.isatty()


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Route structlog and the standard library's logging to `stream` (stderr) through one
    formatter. Safe to call again: the root logger's handlers are replaced, not added to."""
    stream = stream or sys.stderr
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    rendering: list[structlog.typing.Processor]
    if renders_json(settings, stream):
        rendering = [_JSON_EXCEPTIONS, structlog.processors.JSONRenderer(serializer=_json)]
    else:
        rendering = [structlog.dev.ConsoleRenderer(exception_formatter=_CONSOLE_EXCEPTIONS)]
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
        )
    )
    structlog.configure(
        processors=[*shared, *rendering],
        logger_factory=lambda name=None, *_: HandlerLogger(name, handler),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)


class HandlerLogger:
    """structlog's last step for our events: the rendered line goes to `handler`'s stream under
    the handler's lock (so it never interleaves with a standard-library record's line)."""

    def __init__(self, name: str | None, handler: logging.StreamHandler[TextIO]) -> None:
        self.name = name  # structlog.stdlib.add_logger_name reads it
        self._handler = handler

    def msg(self, line: str) -> None:
        handler = self._handler
        handler.acquire()
        try:
            handler.stream.write(line + handler.terminator)
            handler.stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr: never the caller's error
            pass
        finally:
            handler.release()

    debug = info = warning = error = critical = exception = log = msg


def _json(event: dict[str, Any], **_: Any) -> str:
    try:
        return orjson.dumps(event, default=repr, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # what orjson refuses (an integer over 64 bits): the standard library's encoder
        return json.dumps(event, default=repr)
