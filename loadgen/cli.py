"""`perfstack run`: a locustfile under Locust with metrics pushed live and a run record."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from gate.live import LiveGate
from loadgen.annotations import grafana_url
from loadgen.arrival import parse_rate
from loadgen.live_view import LiveView, print_summary
from loadgen.locust.master_link import WORKERS_MISSING
from loadgen.locust.names import DEFAULT_MAX_NAMES
from loadgen.runner import RunPlan, execute, ws_arguments
from loadgen.scenarios import Scenario, arrival_scenario, resolve_scenario, ws_url_for_host
from loadgen.target_url import validate_target
from loadgen.ws import cli as ws_cli
from loadgen.ws.options import build_run_config
from loadgen.ws.scenario import load_ws_scenario
from perfstack.core.durations import parse_duration
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.identity import new_testid, testid_argument, validate_scenario_name
from perfstack.core.ports import free_port
from perfstack.core.processes import sigterm_as_interrupt
from perfstack.core.record import ABORTED, QUIT_EARLY, RunRecord, record_path
from perfstack.core.settings import prometheus_url_and_source, prometheus_url_default
from perfstack.core.state import default_state_dir, state_dir_argument
from perfstack.history.labels import add_label_argument, run_labels
from perfstack.history.summary import push_run_summary
from perfstack.push.pusher import refused_writes_error

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
        "--rate",
        help="open model: start iterations at this rate (e.g. 200/s, 12000/m) for --duration, "
        "whatever the target does; one iteration is one task of the locustfile's users",
    )
    parser.add_argument(
        "--max-users",
        type=int,
        help="open model: at most this many users in flight; an iteration due when none is "
        "free is dropped (default: one second of arrivals at the peak rate)",
    )
    parser.add_argument(
        "--processes", type=int, help="Locust worker processes (Locust's --processes)"
    )
    parser.add_argument(
        "--master-port",
        type=int,
        help="with --processes: the port Locust's master listens on, on 127.0.0.1 "
        "(default: a free one, so two runs on one machine do not collide)",
    )
    parser.add_argument(
        "--testid", type=testid_argument, help="run id (default: <scenario>-<UTC time>-<4 hex>)"
    )
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
        type=state_dir_argument,
        help="state directory (default: $PERFSTACK_STATE_DIR or ./.perfstack)",
    )
    parser.add_argument(
        "--allow-remote-host", action="store_true", help="allow a target other than localhost"
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="write perfstack's HTML report of the run there at its end (docs/report.md)",
    )
    parser.add_argument(
        "--gate",
        metavar="RULES",
        help="gate rule file: its abort_on_fail objectives are judged during the run and stop "
        "it early (exit 1) when one fails for its sustained window",
    )
    add_label_argument(parser)
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
    scenario = _open_model(args, scenario, duration)
    scenario_name = validate_scenario_name(scenario.name if scenario else "adhoc")
    state_dir = (args.state_dir or default_state_dir()).resolve()
    users = args.users or DEFAULT_USERS
    extra = list(args.locust_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    plan = RunPlan(
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
        master_port=_master_port(args),
        max_names=args.max_names,
        csv_prefix=args.csv_prefix,
        html_file=args.html_file,
        remote_write_url=args.remote_write_url,
        extra_args=extra,
        allow_remote_host=args.allow_remote_host,
        bounds=tuple(
            flag
            for flag, given in (
                ("--scenario", args.scenario),
                ("--duration", args.duration),
                ("--users", args.users),
            )
            if given is not None
        ),
        labels=run_labels(args.label),
    )
    if scenario is not None and scenario.websocket is not None:
        plan.ws_url, plan.ws_duration = _websocket_part(scenario, host, plan.duration)
        _check_websocket_part(plan)
    return plan


def _open_model(
    args: argparse.Namespace, scenario: Scenario | None, duration: float | None
) -> Scenario | None:
    """`--rate` (one constant arrival stage) and `--max-users` (the pool of an arrival
    scenario or of --rate)."""
    if args.max_users is not None and args.max_users < 1:
        raise PerfstackError(
            f"--max-users {args.max_users}: expected a whole number >= 1", ExitCode.USAGE
        )
    if args.rate is None:
        if args.max_users is None:
            return scenario
        if scenario is None or not scenario.is_arrival:
            raise PerfstackError(
                "--max-users: only for the open model (--rate, or a scenario with arrival stages)",
                ExitCode.USAGE,
            )
        return scenario.with_pool(args.max_users)
    if scenario is not None:
        raise PerfstackError(
            f"--rate {args.rate}: cannot be combined with --scenario; write arrival stages "
            "in the scenario file ({kind: arrival, rate: ..., duration: ...})",
            ExitCode.USAGE,
        )
    try:
        rate = parse_rate(args.rate)
    except ValueError as error:
        raise PerfstackError(f"--rate: {error}", ExitCode.USAGE) from error
    if not rate > 0 or not math.isfinite(rate):
        raise PerfstackError(
            f"--rate {args.rate}: expected a rate > 0 (e.g. 200/s)", ExitCode.USAGE
        )
    if args.users is not None:
        raise PerfstackError(
            "--users: the open model's pool of users is --max-users", ExitCode.USAGE
        )
    return arrival_scenario(rate, duration or DEFAULT_DURATION, args.max_users, args.rate)


def _websocket_part(scenario: Scenario, host: str, run_duration: float) -> tuple[str, float]:
    """The section's URL following --host, and how long the sessions run: the run's length,
    or the section's own `duration` when that is shorter."""
    section = load_ws_scenario(scenario.source)  # file:line errors, exit 2
    url = section.values.get("url")
    if url is None:
        raise PerfstackError(
            f"{scenario.source}: websocket.url: required (a ws:// URL, a path like /ws/chat "
            "that follows --host, or ws://{host}/path)",
            ExitCode.USAGE,
        )
    own = section.values.get("duration")
    duration = scenario.duration if own is None else min(own, scenario.duration)
    return ws_url_for_host(str(url), host), duration or run_duration


def _check_websocket_part(plan: RunPlan) -> None:
    """Everything the WebSocket child will check, checked here before any load starts."""
    parser = argparse.ArgumentParser(prog="perfstack")
    ws_cli.register(parser.add_subparsers(dest="command", required=True))
    build_run_config(parser.parse_args(["ws", *ws_arguments(plan)]))


def _master_port(args: argparse.Namespace) -> int | None:
    if args.processes is None:
        return None
    if args.master_port is None:
        return free_port()
    if not 1 <= args.master_port <= 65535:
        raise PerfstackError(
            f"--master-port {args.master_port}: expected a port 1-65535", ExitCode.USAGE
        )
    return int(args.master_port)


def run_command(args: argparse.Namespace) -> int:
    plan = build_plan(args)
    _require_query_api(args, plan)
    live = _live_gate(args, plan)
    planned = plan.scenario.duration if plan.scenario else plan.duration
    links = {"prometheus": plan.prometheus_url}
    grafana = grafana_url(plan.state_dir)
    if grafana:
        links["grafana"] = grafana
    try:
        with sigterm_as_interrupt(), LiveView(plan.testid, planned, links) as view:
            record = execute(plan, view.update, live_gate=live)
    except KeyboardInterrupt:
        print(f"perfstack: interrupted; run record {record_path(plan.state_dir, plan.testid)}")
        return ExitCode.INTERRUPTED
    finally:
        if live is not None:
            live.close()
    print_summary(record, str(record_path(plan.state_dir, plan.testid)))
    _push_summary(record, plan)
    print(f"Locust log: {plan.log_file}")
    if plan.html_file:
        print(f"HTML report: {Path(plan.html_file).resolve()}")
    if "ws_error" in record.extra:
        print(f"perfstack: warning: {record.extra['ws_error']}", file=sys.stderr)
    if record.exit_status == ABORTED:
        print(f"perfstack: run stopped early by the {record.message}")
        code = int(ExitCode.GATE_FAIL)
    elif record.exit_status == QUIT_EARLY:  # not a run that went to its end: CI must not read 0
        print(f"perfstack: warning: the run ended early: {record.message}", file=sys.stderr)
        code = int(ExitCode.RUN_ENDED_EARLY)
    else:
        code = _exit_code(record)
    refusal = _store_answers(record, plan)
    code = code or refusal  # an early end or an abort says more than the store's refusal
    if args.report:
        code = _write_report(args, plan, code)
    return code


def _require_query_api(args: argparse.Namespace, plan: RunPlan) -> None:
    """Before any load: a store URL that answers but is no Prometheus query API (a web
    page, a 404) is a mistake, one line and exit 4 with nothing measured to lose. One that
    does not answer yet is left to the pusher, which buffers and retries."""
    from gate.prometheus import PrometheusClient

    _, source = prometheus_url_and_source(args.prometheus, plan.state_dir)
    with PrometheusClient(plan.prometheus_url, timeout=10.0) as client:
        client.require_query_api(source, refused_ok=True)


def _push_summary(record: RunRecord, plan: RunPlan) -> None:
    """The run's summary into Prometheus (perfstack history); a failed push is a warning:
    the record keeps the same values."""
    if record.end is None or record.exit_status == "error":
        return
    sent, detail = push_run_summary(
        record, plan.prometheus_url, plan.labels, remote_write_url=plan.remote_write_url
    )
    if not sent:
        print(f"perfstack: warning: run summary not pushed: {detail}", file=sys.stderr)


def _write_report(args: argparse.Namespace, plan: RunPlan, code: int) -> int:
    """`--report FILE`: the run's HTML report, judged with the --gate rules when given.
    A report that could not be written is an error line; its exit code is the command's
    only when the run itself exited 0 (a failed run keeps its own code)."""
    # imported here: Bokeh loads only when a report is asked for
    from perfstack.report.cli import make_report
    from perfstack.report.data import ReportRequest

    request = ReportRequest(
        testid=plan.testid,
        state_dir=plan.state_dir,
        prometheus=plan.prometheus_url,
        rules=Path(args.gate) if args.gate else None,
    )
    try:
        path = make_report(request, Path(args.report))
    except PerfstackError as error:
        print(f"perfstack: error: report not written: {error.message}", file=sys.stderr)
        return code or int(error.exit_code)
    print(f"report: {path}")
    return code


def _live_gate(args: argparse.Namespace, plan: RunPlan) -> LiveGate | None:
    """Loaded before Locust starts: an invalid rule file is exit 2 with no load sent."""
    if not args.gate:
        return None
    live = LiveGate.from_file(Path(args.gate), plan.prometheus_url, plan.testid, plan.scenario_name)
    if not live.active:
        print(
            f"perfstack: warning: --gate {args.gate}: no abort_on_fail objective applies to "
            f"scenario {plan.scenario_name}; the run will not be stopped early",
            file=sys.stderr,
        )
    return live


def _store_answers(record: RunRecord, plan: RunPlan) -> int:
    """A store that refused writes is an error line and exit 25, after the summary: the run's
    own figures (record, summary) are complete, only the store lacks samples. 0 otherwise;
    an accepted write with an odd answer (a stand-in, not a receiver) is a warning."""
    flag = "--remote-write-url" if plan.remote_write_url else "--prometheus"
    where = f"{flag} {plan.effective_remote_write_url}"
    odd = record.extra.get("store_answer_unexpected")
    if odd:
        print(
            f"perfstack: warning: {where} accepted writes with {odd}; a remote-write receiver "
            "answers with an empty body: if it is not one, the store has none of this run",
            file=sys.stderr,
        )
    refused = record.extra.get("store_refused")
    if not refused:
        return 0
    error = refused_writes_error(where, refused, record.samples_dropped)
    print(f"perfstack: error: {error.message}", file=sys.stderr)
    return int(error.exit_code)


def _exit_code(record: RunRecord) -> int:
    """0 when the run went to its end (request failures are the gate's to judge)."""
    if record.exit_status == "error":
        code = (
            ExitCode.MASTER_UNREACHABLE
            if record.extra.get(WORKERS_MISSING)
            else ExitCode.SERVICE_START_FAILED
        )
        raise PerfstackError(record.message or "Locust ended without a run record", code)
    return ExitCode.OK
