"""Log lines go to the stderr of the moment: a host that swapped (and closed) the old one breaks nothing."""

from __future__ import annotations

import io
import sys

import pytest
import structlog

from concord.observe.logging import configure_logging


def test_a_closed_earlier_stderr_does_not_break_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("INFO")
    structlog.get_logger("t").info("first line")
    assert "first line" in first.getvalue()
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    first.close()
    structlog.get_logger("t").error("second line", poll="kantata")
    assert "second line" in second.getvalue() and "poll='kantata'" in second.getvalue()
