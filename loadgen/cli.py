"""`perfstack run`: a locustfile under Locust with metrics pushed live and a run record."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from loadgen.annotations import grafana_url
from loadgen.durations import parse_duration
from loadgen.identity import new_testid, validate_scenario_name
from loadgen.live_view import LiveView, print_summary
from loadgen.names import DEFAULT_MAX_NAMES
from loadgen.record import RunRecord, record_path
from loadgen.runner import RunPlan, execute
from loadgen.scenarios import resolve_scenario
from loadgen.target_url import validate_target
from perfstack.errors import ExitCode, PerfstackError
from perfstack.stack_settings import prometheus_url_default
from perfstack.state import default_state_dir

DEFAULT_USERS = 10
DEFAULT_DURATION = 60.0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a locustfile with metrics pushed to Prometheus",
        description="Run a locustfile headless under Locust; every request's metrics are pushed to "
        "Prometheus (remote write) while it runs, and a run record is written at the end. "
        "Arguments after `--` go to Locust unchanged.",
    )
    parser.add_argument("-f", "--locustfile", required=True, help="the locustfile (.py)")
    parser.add_argument("--host", required=True, help="target base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument(
        "--scenario", help="built-in scenario (smoke, normal, peak, stress, spike) or a YAML file"
    )
    parser.add_argument("-u", "--users", type=int, help="peak users (scales a scenario's stages)")
    parser.add_argument("-r", "--spawn-rate", type=float, help="users started per second")
    parser.add_argument(
        "-t", "--duration", help="run time, e.g. 30s, 5m (scales a scenario's stages)"
    )
    parser.add_argument(
        "--processes", type=int, help="Locust worker processes (Locust's --processes)"
    )
    parser.add_argument("--testid", help="run id (default: <scenario>-<UTC time>-<4 hex>)")
    parser.add_argument("--prometheus", help="Prometheus base URL (default: the local stack's)")
    parser.add_argument(
        "--remote-write-url", help="remote-write endpoint (default: <prometheus>/api/v1/write)"
    )
    parser.add_argument(
        "--max-names",
        type=int,
        default=DEFAULT_MAX_NAMES,
        help="distinct request names before _other_",
    )
    parser.add_argument(
        "--csv", dest="csv_prefix", help="Locust CSV stats files prefix (passed to Locust)"
    )
    parser.add_argument(
        "--html", dest="html_file", help="Locust HTML report file (passed to Locust)"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        help="state directory (default: $PERFSTACK_STATE_DIR or ./.perfstack)",
    )
    parser.add_argument(
        "--allow-remote-host", action="store_true", help="allow a target other than localhost"
    )
    parser.add_argument(
        "locust_args", nargs=argparse.REMAINDER, help="-- then extra Locust arguments"
    )
    parser.set_defaults(func=run_command)


def build_plan(args: argparse.Namespace) -> RunPlan:
    locustfile = Path(args.locustfile)
    if locustfile.suffix != ".py" or not locustfile.is_file():
        raise PerfstackError(
            f"-f {args.locustfile}: expected an existing .py locustfile", ExitCode.LOCUSTFILE_IMPORT
        )
    host = validate_target(args.host, allow_remote=args.allow_remote_host)
    if args.users is not None and args.users < 1:
        raise PerfstackError(f"--users {args.users}: expected a whole number >= 1", ExitCode.USAGE)
    if args.spawn_rate is not None and args.spawn_rate <= 0:
        raise PerfstackError(
            f"--spawn-rate {args.spawn_rate}: expected a number > 0", ExitCode.USAGE
        )
    if args.processes is not None and args.processes < 1:
        raise PerfstackError(
            f"--processes {args.processes}: expected a whole number >= 1", ExitCode.USAGE
        )
    if args.max_names < 1:
        raise PerfstackError(
            f"--max-names {args.max_names}: expected a whole number >= 1", ExitCode.USAGE
        )
    duration = None
    if args.duration is not None:
        try:
            duration = parse_duration(args.duration)
        except ValueError as error:
            raise PerfstackError(f"--duration: {error}", ExitCode.USAGE) from error
    scenario = resolve_scenario(args.scenario) if args.scenario else None
    if scenario is not None:
        scenario = scenario.scaled(users=args.users, duration=duration)
        if args.spawn_rate:
            scenario = scenario.with_spawn_rate(args.spawn_rate)
    scenario_name = validate_scenario_name(scenario.name if scenario else "adhoc")
    state_dir = (args.state_dir or default_state_dir()).resolve()
    users = args.users or DEFAULT_USERS
    extra = list(args.locust_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    return RunPlan(
        locustfile=locustfile.resolve(),
        host=host,
        testid=args.testid or new_testid(scenario_name),
        scenario_name=scenario_name,
        state_dir=state_dir,
        prometheus_url=(args.prometheus or prometheus_url_default(state_dir)).rstrip("/"),
        scenario=scenario,
        users=users,
        spawn_rate=args.spawn_rate or float(users),
        duration=duration or DEFAULT_DURATION,
        processes=args.processes,
        max_names=args.max_names,
        csv_prefix=args.csv_prefix,
        html_file=args.html_file,
        remote_write_url=args.remote_write_url,
        extra_args=extra,
    )


def run_command(args: argparse.Namespace) -> int:
    plan = build_plan(args)
    planned = plan.scenario.duration if plan.scenario else plan.duration
    links = {"prometheus": plan.prometheus_url}
    grafana = grafana_url(plan.state_dir)
    if grafana:
        links["grafana"] = grafana
    try:
        with LiveView(plan.testid, planned, links) as view:
            record = execute(plan, view.update)
    except KeyboardInterrupt:
        print(f"perfstack: interrupted; run record {record_path(plan.state_dir, plan.testid)}")
        return ExitCode.INTERRUPTED
    print_summary(record, str(record_path(plan.state_dir, plan.testid)))
    return _exit_code(record)


def _exit_code(record: RunRecord) -> int:
    """0 when the run went to its end (request failures are the gate's to judge)."""
    if record.exit_status == "error":
        raise PerfstackError(
            record.message or "Locust ended without a run record", ExitCode.SERVICE_START_FAILED
        )
    return ExitCode.OK
