"""``concord sandbox``: run the local emulators of Salesforce, Kantata and NetSuite, seed them with a
generated firm, and make them misbehave on command.

The command only parses options and prints; the work is in ``concord.sandbox.launch`` (running) and
``concord.sandbox.firm`` (generating and loading). It deliberately does not import the engine.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from concord.sandbox.core import ProfileMode, ServerStartError
from concord.sandbox.firm.load import LoadError
from concord.sandbox.firm.seeding import seed_sandbox
from concord.sandbox.launch import (
    DEFAULT_DATA_DIR,
    DEFAULT_PORT_BASE,
    EMULATORS,
    CredentialsError,
    LaunchError,
    LaunchOptions,
    RunState,
    TokenError,
    admin,
    ports_from,
    run_foreground,
    running_state,
    start_detached,
    stop,
)
from concord.sandbox.launch.admin import AdminError
from concord.sandbox.launch.fault_options import describe_rule, rule_from_options
from concord.sandbox.simulator.cli import simulate_command

console = Console()
errors = Console(stderr=True)

sandbox_app = typer.Typer(
    help="Local emulators of Salesforce, Kantata OX and NetSuite, a firm generator and fault injection.",
    no_args_is_help=True,
)
faults_app = typer.Typer(
    help="Make the running sandbox misbehave (per emulator, per endpoint).", no_args_is_help=True
)
sandbox_app.add_typer(faults_app, name="faults")
sandbox_app.command("simulate")(simulate_command)

DataDirOption = typer.Option(
    DEFAULT_DATA_DIR, "--data-dir", help="Folder of the SQLite files, credentials and state."
)
JsonOption = typer.Option(False, "--json", help="Machine-readable output.")
EmulatorOption = typer.Option(
    None, "--emulator", "-e", help="salesforce, kantata or netsuite (default: all three)."
)
SIZES = ("small", "mid", "large")
SEED_FILE = "firm.json"


def _fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[red]{message}[/]")
    return typer.Exit(code)


def _print_json(document: Any) -> None:
    # Plain text, never wrapped or coloured: scripts parse it.
    typer.echo(json.dumps(document, indent=2))


def _emulators(emulator: str | None) -> tuple[str, ...]:
    if emulator is None:
        return EMULATORS
    if emulator not in EMULATORS:
        raise _fail(f"unknown emulator {emulator!r}: use one of {', '.join(EMULATORS)}", 2)
    return (emulator,)


def _require_running(data_dir: Path) -> RunState:
    state = running_state(data_dir.resolve())
    if state is None:
        raise _fail(f"no sandbox runs from {data_dir}: start one with `concord sandbox up`")
    return state


def _connection_view(state: RunState) -> dict[str, Any]:
    """What ``status --json`` prints; each emulator's ``healthy`` and current ``profile`` are asked live."""
    info = state.access().connection_info()
    for name in EMULATORS:
        try:
            live = admin.health(state.urls[name])
        except AdminError:
            live = {}
        info[name]["healthy"] = live.get("status") == "ok"
        info[name]["profile"] = live.get("profile")
    return {
        "running": True,
        "pid": state.pid,
        "started_at": state.started_at,
        "data_dir": str(state.data_dir),
        "profile": state.profile,
        "detached": state.detached,
        "emulators": info,
    }


def _connection_lines(name: str, info: dict[str, Any]) -> list[tuple[str, str]]:
    lines = [("token URL", info["token_url"]), ("API", info["api_url"]), ("client id", info["client_id"])]
    if name == "netsuite":
        lines += [
            ("account id", info["account_id"]),
            ("certificate id", info["certificate_id"]),
            ("private key", f"{info['private_key_path']} (ES256 assertions, scope rest_webservices)"),
        ]
    else:
        lines.append(("client secret", info["client_secret"]))
    if name == "salesforce":
        lines += [
            (
                "user",
                f"{info['username']} (password {info['password']}, security token {info['security_token']})",
            ),
            ("JWT key", f"{info['jwt_private_key_path']} (RS256, sub = the user)"),
        ]
    return lines


def _print_connections(view: dict[str, Any]) -> None:
    answers = {True: "[green]answers[/]", False: "[red]does not answer[/]"}
    for name, info in view["emulators"].items():
        profile = f"profile {info['profile']}" if info["profile"] else ""
        console.print(
            f"[bold]{name}[/]  {info['base_url']}  {answers[info['healthy']]}  {profile}", soft_wrap=True
        )
        for label, value in _connection_lines(name, info):
            console.print(f"  {label:<15}{value}", soft_wrap=True, markup=False, highlight=False)
    console.print(
        f"Data in {view['data_dir']}, pid {view['pid']}; admin API under "
        "<base URL>/__sandbox; `concord sandbox status --json` prints all this for scripts.",
        soft_wrap=True,
    )


def _print_seed(summary: dict[str, Any], as_json: bool, saved: Path) -> None:
    if as_json:
        _print_json(summary)
        return
    table = Table("system", "records loaded", title=f"Firm '{summary['firm']}', seed {summary['seed']}")
    for system, kinds in summary["loaded"].items():
        table.add_row(system, ", ".join(f"{kind} {count}" for kind, count in kinds.items()))
    console.print(table)
    planted = Counter(case["kind"] for case in summary["dirty_cases"])
    console.print(
        "Dirty cases planted: " + ", ".join(f"{kind} x{n}" for kind, n in planted.items()), soft_wrap=True
    )
    console.print(
        f"As of {summary['as_of']}; generated in {summary['generate_s']} s, loaded in {summary['load_s']} s "
        f"({summary['requests']} requests); fingerprint {summary['fingerprint'][:16]}",
        soft_wrap=True,
    )
    console.print(
        f"Summary and dirty-case manifest (with each platform's ids) saved to {saved}", soft_wrap=True
    )


def _seed(state: RunState, firm: str, seed: int, as_of: date | None, wipe: bool, as_json: bool) -> None:
    try:
        report = seed_sandbox(state.access(), firm, seed, as_of=as_of, wipe_first=wipe)
    except (LoadError, AdminError, TokenError, CredentialsError, ValueError) as exc:
        raise _fail(f"seeding failed: {exc}") from exc
    summary = report.summary()
    # Kept beside the data so later tests and the simulator know which dirty cases were planted where.
    (state.data_dir / SEED_FILE).write_text(json.dumps(summary, indent=2))
    _print_seed(summary, as_json, state.data_dir / SEED_FILE)


def _parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"--as-of must be a date such as 2026-03-18, not {text!r}", 2) from None


def _check_size(firm: str | None) -> None:
    if firm is not None and firm not in SIZES:
        raise _fail(f"unknown firm size {firm!r}: use small, mid or large", 2)


@sandbox_app.command()
def up(
    data_dir: Path = DataDirOption,
    port_base: int = typer.Option(
        DEFAULT_PORT_BASE, min=0, max=65533, help="Salesforce port; Kantata +1, NetSuite +2."
    ),
    salesforce_port: int | None = typer.Option(None, min=0, max=65535, help="Override (0 = any free port)."),
    kantata_port: int | None = typer.Option(None, min=0, max=65535, help="Override (0 = any free port)."),
    netsuite_port: int | None = typer.Option(None, min=0, max=65535, help="Override (0 = any free port)."),
    profile: str = typer.Option("instant", help="instant (no latency, no limits) or realistic."),
    detach: bool = typer.Option(False, "--detach", "-d", help="Run in the background; stop with `down`."),
    seed_firm: str | None = typer.Option(None, help="Seed a generated firm once up: small, mid or large."),
    seed: int = typer.Option(1, help="Seed of the generated firm (with --seed-firm)."),
) -> None:
    """Start the three emulators on loopback and print how to reach them; Ctrl-C stops them."""
    if profile not in ("instant", "realistic"):
        raise _fail("--profile must be instant or realistic", 2)
    _check_size(seed_firm)
    ports = ports_from(port_base)
    for name, override in (
        ("salesforce", salesforce_port),
        ("kantata", kantata_port),
        ("netsuite", netsuite_port),
    ):
        if override is not None:
            ports[name] = override
    mode: ProfileMode = "realistic" if profile == "realistic" else "instant"
    options = LaunchOptions(data_dir=data_dir, ports=ports, profile=mode)
    try:
        if detach:
            state = start_detached(options)
            _print_connections(_connection_view(state))
            console.print("Running in the background; `concord sandbox down` stops it.")
            if seed_firm is not None:
                _seed(state, seed_firm, seed, None, True, False)
            return

        def ready(state: RunState) -> None:
            _print_connections(_connection_view(state))
            if seed_firm is not None:
                try:
                    _seed(state, seed_firm, seed, None, True, False)
                except typer.Exit:
                    errors.print("The sandbox keeps running without the firm.")
            console.print("Press Ctrl-C to stop.")

        run_foreground(options, on_ready=ready)
        console.print("Sandbox stopped.")
    except (LaunchError, ServerStartError, CredentialsError, TokenError) as exc:
        raise _fail(str(exc)) from exc


@sandbox_app.command()
def down(data_dir: Path = DataDirOption) -> None:
    """Stop the sandbox started from this data folder (with `up --detach`, or in another terminal)."""
    outcome = stop(data_dir)
    messages = {
        "stopped": "Sandbox stopped.",
        "killed": "Sandbox did not stop in time and was killed.",
        "stale": "No sandbox was running; removed its stale state files.",
        "not running": f"No sandbox runs from {data_dir}.",
    }
    console.print(messages[outcome])


@sandbox_app.command()
def status(data_dir: Path = DataDirOption, as_json: bool = JsonOption) -> None:
    """Each emulator's base URL, token URL, the credentials a client needs, and whether it answers.

    Exits with 1 when no sandbox runs from the data folder.
    """
    state = running_state(data_dir.resolve())
    if state is None:
        if as_json:
            _print_json({"running": False, "data_dir": str(data_dir.resolve())})
        else:
            console.print(f"No sandbox runs from {data_dir}.")
        raise typer.Exit(1)
    view = _connection_view(state)
    if as_json:
        _print_json(view)
    else:
        _print_connections(view)


@sandbox_app.command("seed")
def seed_command(
    firm: str = typer.Option("small", help="small (seconds), mid or large (for benchmarks)."),
    seed: int = typer.Option(1, help="Same seed and as-of date, same firm, byte for byte."),
    as_of: str | None = typer.Option(
        None, help="The firm's today (YYYY-MM-DD); default: the emulators' clock."
    ),
    wipe: bool = typer.Option(
        True, "--wipe/--no-wipe", help="Wipe the emulators' data first (fault rules and clocks are kept)."
    ),
    data_dir: Path = DataDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Generate a firm and load it into the running sandbox through the emulators' own APIs."""
    _check_size(firm)
    day = _parse_day(as_of)
    _seed(_require_running(data_dir), firm, seed, day, wipe, as_json)


# -- faults ---------------------------------------------------------------------------------------------


@faults_app.command("list")
def faults_list(
    emulator: str | None = EmulatorOption, data_dir: Path = DataDirOption, as_json: bool = JsonOption
) -> None:
    """The fault rules installed on each emulator, with how often each fired."""
    state = _require_running(data_dir)
    try:
        rules = {name: admin.list_faults(state.urls[name]) for name in _emulators(emulator)}
    except AdminError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        _print_json(rules)
        return
    table = Table("emulator", "id", "endpoint", "effects", "matched", "affected", title="Fault rules")
    for name, installed in rules.items():
        for rule in installed:
            stats = rule.get("stats") or {}
            table.add_row(
                name,
                rule["id"],
                rule["endpoint"],
                describe_rule(rule),
                str(stats.get("matched", 0)),
                str(stats.get("affected", 0)),
            )
    console.print(table if table.row_count else "No fault rules installed.")


@faults_app.command("add")
def faults_add(
    emulator: str | None = EmulatorOption,
    endpoint: str = typer.Option(
        "*", help="'*', a path glob, or 'METHOD /path/glob' such as 'POST /services/*'."
    ),
    error_rate: float | None = typer.Option(
        None, min=0.0, max=1.0, help="Share of requests answered with an error."
    ),
    error_status: int | None = typer.Option(None, min=400, max=599, help="Status of injected errors (503)."),
    latency_ms: float | None = typer.Option(None, min=0.0, help="Added latency per request."),
    jitter_ms: float | None = typer.Option(None, min=0.0, help="Extra uniform(0, jitter) latency."),
    timeout_rate: float | None = typer.Option(None, min=0.0, max=1.0, help="Share of requests that hang."),
    hang_s: float | None = typer.Option(None, min=0.001, help="How long a hang lasts (30 s)."),
    burst_429: int | None = typer.Option(None, min=1, help="Bursts of this many 429s ..."),
    burst_every: int | None = typer.Option(
        None, min=0, help="... after this many requests let through (10)."
    ),
    retry_after_s: int | None = typer.Option(None, min=0, help="Retry-After on injected 429s."),
    malformed_rate: float | None = typer.Option(
        None, min=0.0, max=1.0, help="Share of bodies made invalid JSON."
    ),
    truncated_rate: float | None = typer.Option(None, min=0.0, max=1.0, help="Share of bodies cut short."),
    outage_s: float | None = typer.Option(
        None, min=0.001, help="An outage (503) for this many seconds from now."
    ),
    slow_drip: bool = typer.Option(False, "--slow-drip", help="Trickle response bodies out slowly."),
    seed: int | None = typer.Option(None, help="Seed of the rule's randomness (repeatable runs)."),
    max_faults: int | None = typer.Option(
        None, min=1, help="The rule goes dormant after affecting this many."
    ),
    description: str | None = typer.Option(None, help="Free text shown by `faults list`."),
    profile: str | None = typer.Option(None, help="Also switch the profile: instant or realistic."),
    data_dir: Path = DataDirOption,
) -> None:
    """Add a fault rule (and/or switch the profile), e.g. `--emulator netsuite --endpoint "POST
    /services/rest/record/v1/*" --error-rate 0.1`."""
    if profile is not None and profile not in ("instant", "realistic"):
        raise _fail("--profile must be instant or realistic", 2)
    options = dict(locals())
    for name in ("emulator", "profile", "data_dir"):
        options.pop(name)
    try:
        rule = rule_from_options(options)
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    if rule is None and profile is None:
        raise _fail("give at least one effect (--error-rate, --latency-ms, --burst-429, ...) or --profile", 2)
    state = _require_running(data_dir)
    try:
        for name in _emulators(emulator):
            if rule is not None:
                added = admin.add_fault(state.urls[name], rule)
                console.print(
                    f"{name}: added rule {added['id']} on {added['endpoint']}: {describe_rule(added)}"
                )
            if profile is not None:
                admin.set_profile(state.urls[name], profile)
                console.print(f"{name}: profile {profile}")
    except AdminError as exc:
        raise _fail(str(exc)) from exc


@faults_app.command("clear")
def faults_clear(emulator: str | None = EmulatorOption, data_dir: Path = DataDirOption) -> None:
    """Remove every fault rule (of one emulator, or of all three)."""
    state = _require_running(data_dir)
    try:
        for name in _emulators(emulator):
            admin.clear_faults(state.urls[name])
            console.print(f"{name}: fault rules cleared")
    except AdminError as exc:
        raise _fail(str(exc)) from exc


@faults_app.command("remove")
def faults_remove(
    rule_id: str = typer.Argument(..., help="The id `faults list` shows."),
    emulator: str = typer.Option(..., "--emulator", "-e", help="salesforce, kantata or netsuite."),
    data_dir: Path = DataDirOption,
) -> None:
    """Remove one fault rule."""
    (name,) = _emulators(emulator)
    try:
        admin.remove_fault(_require_running(data_dir).urls[name], rule_id)
    except AdminError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"{name}: rule {rule_id} removed")


@faults_app.command("profile")
def faults_profile(
    mode: str = typer.Argument(..., help="instant or realistic."),
    emulator: str | None = EmulatorOption,
    data_dir: Path = DataDirOption,
) -> None:
    """Switch the profile: instant (no latency, no limits) or realistic (each platform's latency, limits)."""
    if mode not in ("instant", "realistic"):
        raise _fail("the profile is instant or realistic", 2)
    state = _require_running(data_dir)
    try:
        for name in _emulators(emulator):
            view = admin.set_profile(state.urls[name], mode)
            console.print(f"{name}: profile {view['mode']}")
    except AdminError as exc:
        raise _fail(str(exc)) from exc


if __name__ == "__main__":
    sandbox_app()
