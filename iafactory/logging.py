"""Logs: one pipeline for every line of the process.

structlog's processors (request, tenant and user ids from the context, level, logger name,
timestamp) run for our own events and, through `ProcessorFormatter` on the root logger, for
every standard-library record too (uvicorn, asyncpg, Strawberry, Alembic). Lines are JSON,
or structlog's coloured console format when stderr is a terminal and IAFACTORY_LOG_JSON is
not set.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

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
        rendering = [_JSON_EXCEPTIONS, structlog.processors.JSONRenderer()]
    else:
        rendering = [structlog.dev.ConsoleRenderer(exception_formatter=_CONSOLE_EXCEPTIONS)]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)
