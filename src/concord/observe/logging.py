"""Structured logging (structlog), one JSON-ish line per event, with the correlation id when there is one."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import structlog


class _CurrentStderr:
    """Writes each line to whatever ``sys.stderr`` is *now*.

    structlog's print logger keeps the stream it was created with; when a host swaps stderr (a test
    runner capturing output, a daemon redirecting it) a kept stream may be closed by the time a line is
    written, and logging must never be what fails.
    """

    def msg(self, message: str) -> None:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


def _current_stderr(*_: object) -> _CurrentStderr:
    return _CurrentStderr()


def configure_logging(level: str = "INFO", file: Path | None = None) -> None:
    """Log to stderr (or append to ``file``), key=value, with timestamps; ``traceparent`` is bound by the
    code that knows it."""
    factory: Any = _current_stderr
    if file is not None:
        factory = structlog.WriteLoggerFactory(file=file.open("a", encoding="utf-8"))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"], sort_keys=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), 20)
        ),
        logger_factory=factory,
        cache_logger_on_first_use=False,
    )
