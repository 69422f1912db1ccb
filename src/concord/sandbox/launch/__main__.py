"""``python -m concord.sandbox.launch``: serve a sandbox in the foreground (the detached process that
``concord sandbox up --detach`` starts). Prints the URLs when ready; stops on SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from concord.sandbox.core import ServerStartError
from concord.sandbox.launch.access import EMULATORS
from concord.sandbox.launch.apps import LaunchOptions
from concord.sandbox.launch.state import RunState
from concord.sandbox.launch.supervisor import LaunchError, run_foreground


def _parse(argv: list[str]) -> LaunchOptions:
    parser = argparse.ArgumentParser(prog="python -m concord.sandbox.launch")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--profile", choices=("instant", "realistic"), default="instant")
    for name in EMULATORS:
        parser.add_argument(f"--{name}-port", type=int, required=True)
    args = parser.parse_args(argv)
    ports = {name: int(getattr(args, f"{name}_port")) for name in EMULATORS}
    return LaunchOptions(data_dir=args.data_dir, host=args.host, ports=ports, profile=args.profile)


def _announce(state: RunState) -> None:
    for name, url in state.urls.items():
        sys.stdout.write(f"{name} ready at {url} (pid {state.pid})\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox; the exit status is 0 after a clean stop, 1 when it could not start."""
    options = _parse(sys.argv[1:] if argv is None else argv)
    try:
        run_foreground(options, detached=True, on_ready=_announce)
    except (LaunchError, ServerStartError) as exc:
        sys.stderr.write(f"sandbox not started: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
