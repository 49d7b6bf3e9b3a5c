"""What `perfstack_load` does: one `perfstack run` from inside a test, then the gate.

The run goes through `perfstack run`'s own parser, plan and runner (loadgen.cli.build_plan,
loadgen.runner.execute), so a locustfile, a scenario, the flags' checks, the live metrics
and the run record are exactly the command's; the verdict is `perfstack gate check`'s on
that run (perfstack.pytest_plugin.verdict). Locust runs as a child process, as for the
command: gevent's monkey patching stays out of the pytest process.
"""

from __future__ import annotations

import argparse
import contextlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import gate
from gate.window import DEFAULT_SETTLE
from loadgen import cli as run_cli
from loadgen.runner import execute
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.record import RunRecord
from perfstack.pytest_plugin.verdict import Verdict, judge, wait_for_settle

DEFAULT_DURATION = "10s"  # a test's load run is short; the command's default is a minute
DEFAULT_USERS = 5


def default_rules() -> Path:
    """The demo preset: latency, errors and throughput for an HTTP run (its WebSocket and
    memory objectives are skipped for a run without those generators)."""
    return Path(gate.__file__).resolve().parent / "presets" / "default.yaml"


@dataclass(frozen=True)
class LoadRun:
    """A finished load run: its testid, its run record and the gate's verdict on it."""

    testid: str
    record: RunRecord
    verdict: Verdict
    locust_log: Path

    @property
    def completed(self) -> bool:
        return self.record.exit_status == "completed"


def run_arguments(
    locustfile: str | Path,
    host: str,
    *,
    scenario: str | None,
    users: int | None,
    spawn_rate: float | None,
    duration: str | None,
    testid: str | None,
    prometheus: str | None,
    state_dir: Path | None,
    allow_remote_host: bool,
    locust_args: Sequence[str],
) -> list[str]:
    """The `perfstack run` command line of a fixture call."""
    argv = ["run", "-f", str(locustfile), "--host", host]
    for flag, value in (
        ("--scenario", scenario),
        ("--users", users),
        ("--spawn-rate", spawn_rate),
        ("--duration", duration),
        ("--testid", testid),
        ("--prometheus", prometheus),
        ("--state-dir", state_dir),
    ):
        if value is not None:
            argv += [flag, str(value)]
    if allow_remote_host:
        argv.append("--allow-remote-host")
    return argv + (["--", *locust_args] if locust_args else [])


def parse_run_arguments(argv: list[str]) -> argparse.Namespace:
    """Parsed by `perfstack run`'s own parser; a bad value is one PerfstackError line."""
    parser = argparse.ArgumentParser(prog="perfstack")
    run_cli.register(parser.add_subparsers(dest="command"))
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            return parser.parse_args(argv)
    except SystemExit:
        last = (errors.getvalue().strip().splitlines() or ["invalid arguments"])[-1]
        raise PerfstackError(
            f"perfstack_load: {last.removeprefix('perfstack run: ')}", ExitCode.USAGE
        ) from None


def run_load(
    locustfile: str | Path,
    host: str,
    *,
    scenario: str | None = None,
    users: int | None = DEFAULT_USERS,
    spawn_rate: float | None = None,
    duration: str | None = DEFAULT_DURATION,
    testid: str | None = None,
    rules: str | Path | None = None,
    variables: Mapping[str, str] | None = None,
    gate_args: Sequence[str] = (),
    strict: bool = False,
    settle: float = DEFAULT_SETTLE,
    prometheus: str | None = None,
    state_dir: Path | None = None,
    allow_remote_host: bool = False,
    locust_args: Sequence[str] = (),
) -> LoadRun:
    """Run the locustfile (or scenario) to its end, then judge it with `rules`."""
    args = parse_run_arguments(
        run_arguments(
            locustfile, host, scenario=scenario, users=users, spawn_rate=spawn_rate,
            duration=duration, testid=testid, prometheus=prometheus, state_dir=state_dir,
            allow_remote_host=allow_remote_host, locust_args=locust_args,
        )
    )  # fmt: skip
    plan = run_cli.build_plan(args)
    record = execute(plan, lambda _live: None)
    if record.exit_status == "error":  # Locust never ran: there is nothing to judge
        raise PerfstackError(
            record.message or "Locust ended without a run record", ExitCode.SERVICE_START_FAILED
        )
    wait_for_settle(float(record.end or record.start), settle)
    gate_argv = ["--rules", str(rules or default_rules()), "--testid", plan.testid]
    gate_argv += ["--state-dir", str(plan.state_dir), "--prometheus", plan.prometheus_url]
    gate_argv += ["--settle", f"{settle:g}"]
    for name, value in (variables or {}).items():
        gate_argv += ["--var", f"{name}={value}"]
    verdict = judge([*gate_argv, *gate_args], strict=strict)
    return LoadRun(plan.testid, record, verdict, plan.log_file)
