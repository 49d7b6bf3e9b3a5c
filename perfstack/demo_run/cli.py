"""`perfstack demo`: the whole flow on the embedded defaults.

Each part runs as its own `perfstack` subprocess, exactly as a user would run it: Locust
patches the interpreter with gevent, which must not leak into the asyncio WebSocket
generator or into this orchestrator.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from perfstack.core import paths
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.identity import new_testid, testid_argument
from perfstack.core.settings import GRAFANA, StackSettings
from perfstack.demo_run.children import HelperProcesses
from perfstack.stack import lifecycle as stack
from perfstack.stack.cli import add_stack_options, settings_from_args

DEFAULT_LOCUSTFILE = "locustfile_user_mix.py"
SCENARIO = "smoke"


def _perfstack(*args: object) -> list[str]:
    return [sys.executable, "-m", "perfstack", *map(str, args)]


def _ensure_stack(settings: StackSettings) -> None:
    states = stack.status(settings)
    if all(s.state == "running" and s.healthy for s in states if s.service is not GRAFANA):
        print(f"stack already running: {settings.prometheus_url}")
        return
    print("starting the local stack ...")
    stack.up(settings)


def _gate_rules() -> Path:
    return Path(__file__).resolve().parents[2] / "gate" / "presets" / "default.yaml"


def _print_where_to_look(settings: StackSettings, testid: str, record: Path) -> None:
    expr = quote(f'sum by (name) (rate(loadgen_http_requests_total{{testid="{testid}"}}[30s]))')
    print()
    print(f"testid:        {testid}")
    print(f"Prometheus:    {settings.prometheus_url}/graph?g0.expr={expr}&g0.range_input=5m")
    print(f"Alertmanager:  {settings.alertmanager_url}")
    grafana = next(s for s in stack.status(settings) if s.service is GRAFANA)
    if grafana.state == "running":
        print(f"Grafana:       {settings.url(GRAFANA)}/d/perfstack-overview?var-testid={testid}")
    else:
        print("Grafana:       not installed here; `docker compose up` runs it with the dashboards")
    print(f"run record:    {record}")
    print("stop the stack with: perfstack down")


def _exporter_argv(settings: StackSettings, testid: str, target_pid: int) -> list[str]:
    return _perfstack(
        "exporter",
        *("--pid", target_pid, "--target-name", "demo-target"),
        *("--testid", testid, "--scenario", SCENARIO),
        *("--prometheus", settings.prometheus_url),
    )


def _ws_argv(
    settings: StackSettings, testid: str, args: argparse.Namespace, port: int
) -> list[str]:
    return _perfstack(
        "ws",
        *("--url", f"ws://127.0.0.1:{port}/ws/chat"),
        *("--connections", args.connections, "--duration", f"{args.duration}s"),
        *("--testid", testid, "--scenario-name", SCENARIO),
        *("--prometheus", settings.prometheus_url, "--state-dir", settings.state_dir),
    )


def _locust_argv(
    settings: StackSettings, testid: str, args: argparse.Namespace, url: str
) -> list[str]:
    return _perfstack(
        "run",
        *("-f", paths.examples_dir() / DEFAULT_LOCUSTFILE, "--host", url),
        *("--scenario", SCENARIO, "--users", args.users, "--duration", f"{args.duration}s"),
        *("--testid", testid),
        *("--prometheus", settings.prometheus_url, "--state-dir", settings.state_dir),
    )


def _gate_argv(settings: StackSettings, testid: str, rules: Path) -> list[str]:
    return _perfstack(
        "gate",
        "check",
        *("--rules", rules, "--testid", testid),
        *("--prometheus", settings.prometheus_url, "--state-dir", settings.state_dir),
    )


def _report_argv(settings: StackSettings, testid: str, rules: Path, output: Path) -> list[str]:
    return _perfstack(
        "report",
        *("--testid", testid, "--rules", rules, "-o", output),
        *("--prometheus", settings.prometheus_url, "--state-dir", settings.state_dir),
    )


def cmd_demo(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    _ensure_stack(settings)
    testid = args.testid or new_testid(SCENARIO)
    started = time.monotonic()
    with HelperProcesses(settings.state_dir / "demo-logs") as helpers:
        target = helpers.start_target(
            _perfstack("target", "--port", args.target_port, "--state-dir", settings.state_dir)
        )
        helpers.start("exporter", _exporter_argv(settings, testid, target.pid))
        websocket = helpers.start("ws", _ws_argv(settings, testid, args, target.port))
        print(f"running {args.duration}s of load against {target.url} (testid {testid}) ...")
        locust = subprocess.run(_locust_argv(settings, testid, args, target.url), check=False)
        helpers.wait(websocket, timeout=args.duration + 30)
    if locust.returncode != ExitCode.OK:
        known = locust.returncode in set(ExitCode)
        raise PerfstackError(
            f"the load run failed (exit {locust.returncode}); logs in {settings.state_dir}",
            ExitCode(locust.returncode) if known else ExitCode.USAGE,
        )
    rules = args.rules or _gate_rules()
    gate = subprocess.run(_gate_argv(settings, testid, rules), check=False)
    report_path = args.report or settings.state_dir / "reports" / f"{testid}.html"
    report = subprocess.run(  # its one stdout line is printed below with the other paths
        _report_argv(settings, testid, rules, report_path), stdout=subprocess.DEVNULL, check=False
    )
    _print_where_to_look(settings, testid, settings.state_dir / "runs" / f"{testid}.json")
    if report.returncode == ExitCode.OK:
        print(f"report:        {report_path}")
    print(f"demo finished in {time.monotonic() - started:.0f}s")
    # the verdict is the demo's answer; a report that was not written fails a passing demo
    return gate.returncode or report.returncode


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="start the stack and the demo target, run a short scenario, print the verdict",
    )
    add_stack_options(parser)
    parser.add_argument("--duration", type=int, default=20, help="seconds of load (default 20)")
    parser.add_argument("--users", type=int, default=10, help="Locust users (default 10)")
    parser.add_argument(
        "--connections", type=int, default=20, help="WebSocket connections (default 20)"
    )
    parser.add_argument("--rules", type=Path, help="gate rule file (default: the demo preset)")
    parser.add_argument("--testid", type=testid_argument, help="run id (default: generated)")
    parser.add_argument(
        "--report",
        type=Path,
        help="where to write the run's HTML report (default: STATE_DIR/reports/TESTID.html)",
    )
    parser.add_argument(
        "--target-port",
        type=int,
        default=0,
        help="port of the demo target on 127.0.0.1 (default 0: a free one)",
    )
    parser.set_defaults(func=cmd_demo)
