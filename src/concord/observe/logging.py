"""Structured logging (structlog), one JSON-ish line per event, with the correlation id when there is one."""

from __future__ import annotations

import logging
import sys

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


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr, key=value, with timestamps; ``traceparent`` is bound by the code that knows it."""
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
        logger_factory=_current_stderr,
        cache_logger_on_first_use=False,
    )
