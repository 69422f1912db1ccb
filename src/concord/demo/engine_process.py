"""Concord's worker in a process of its own, for a month that kills it:
``python -m concord.demo.engine_process SETTINGS_JSON [PLATFORM_CLOCK_URL]``.

The month demo writes its settings as JSON (connector secrets included: the file lives in the run's work
folder, as a sandbox's credentials do) and starts this process; the process runs the worker until SIGTERM,
or until it is killed. A killed worker loses nothing: on restart it takes back what it held (same worker
id), and every command it repeats carries the idempotency key it had.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from concord.bootstrap import bootstrap_from_settings
from concord.demo.platform_clock import PlatformClock
from concord.observe.logging import configure_logging
from concord.settings import Settings


async def _work(settings_file: Path, clock_url: str | None) -> None:
    settings = Settings.model_validate_json(settings_file.read_text())
    clock = PlatformClock(clock_url) if clock_url else None
    concord = bootstrap_from_settings(settings, log_to_stderr=False, business_clock=clock)
    configure_logging("WARNING", file=settings_file.parent / "concord.log")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await concord.worker.run(stop=stop)
    finally:
        concord.close()


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        sys.stderr.write("usage: python -m concord.demo.engine_process SETTINGS_JSON [PLATFORM_CLOCK_URL]\n")
        return 2
    asyncio.run(_work(Path(argv[0]), argv[1] if len(argv) == 2 else None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
