"""Runs Locust for `perfstack run` as a child process and turns its end into a result.

Beside it, when the scenario file has a `websocket:` section, the WebSocket generator runs
as a second child under the same testid (its summary joins the record as `extra.ws`), and
a live gate, when given, can stop both early (`exit_status` "aborted").

A child process rather than Locust's in-process API: `--processes N` (Locust forking its
own workers), Locust's CSV/HTML/stats output and its signal handling only exist in
Locust's own main; a child also keeps gevent's monkey patching out of the CLI process,
and a crash of the load generator cannot take the run record writer with it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from loadgen.locust.launcher import (
    ARRIVAL_ENV,
    BOUNDS_ENV,
    IMPORT_ERROR_PREFIX,
    SHAPE_CONFLICT_PREFIX,
)
from loadgen.locust.master_link import WORKERS_MISSING, workers_missing_message
from loadgen.log_echo import LogEcho
from loadgen.scenarios import SCENARIO_ENV, Scenario
from loadgen.ws.runner import WsProcess, attach_ws_summary
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.processes import stop_children
from perfstack.core.record import (
    ABORTED,
    INTERRUPTED,
    QUIT_EARLY,
    RunRecord,
    joined_with_existing,
    read_record_file,
    write_record,
)
from perfstack.core.state import runs_dir
from perfstack.history.summary import attach_summary

SHAPE_FILE = Path(__file__).resolve().parent / "locust" / "shape.py"
STOP_GRACE_SECONDS = 30.0
# Locust's warnings about -u/-r/-t under a locustfile's own shape: perfstack passed them,
# the user did not (with user-given bounds the launcher refuses the run instead)
OUR_OWN_FLAGS_IGNORED = ("have no impact on LoadShapes", "option(s) will be ignored")
# Locust's error for a locustfile without users: the run ends with our own one-line error
# naming the file (_raise_for_startup_failure), so echoing Locust's would say it twice
NO_USER_CLASS = "No User class found"
WS_FINISH_GRACE_SECONDS = 10.0  # the WebSocket child started with Locust; let it end on its own


class AbortCheck(Protocol):
    """What the run loop asks on every tick (gate.live.LiveGate)."""

    def should_abort(self) -> tuple[bool, str]: ...


@dataclass
class RunPlan:
    locustfile: Path
    host: str
    testid: str
    scenario_name: str
    state_dir: Path
    prometheus_url: str
    scenario: Scenario | None = None
    users: int = 10
    spawn_rate: float = 10.0
    duration: float = 60.0
    processes: int | None = None
    master_port: int | None = None  # with processes: where Locust's master listens (127.0.0.1)
    max_names: int = 200
    csv_prefix: str | None = None
    html_file: str | None = None
    remote_write_url: str | None = None
    extra_args: list[str] = field(default_factory=list)
    ws_url: str | None = None  # set when the scenario file has a websocket: section
    ws_duration: float | None = None
    allow_remote_host: bool = False
    # the bounds the user gave (--scenario, --duration, --users): a locustfile's own
    # LoadTestShape would silently override them, so the launcher refuses the pair
    bounds: tuple[str, ...] = ()
    # extra labels of the run summary (--label, the CI's branch/commit): perfstack.history
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def live_file(self) -> Path:
        return runs_dir(self.state_dir) / f"{self.testid}.live"

    @property
    def locust_record_file(self) -> Path:
        """Where the plugin hands its record to us: not a `.json`, so no reader takes it
        for a finished run's record."""
        return runs_dir(self.state_dir) / f"{self.testid}.locust-record"

    @property
    def log_file(self) -> Path:
        return runs_dir(self.state_dir) / f"{self.testid}.locust.log"

    @property
    def ws_log_file(self) -> Path:
        return runs_dir(self.state_dir) / f"{self.testid}.ws.log"

    @property
    def effective_remote_write_url(self) -> str:
        return self.remote_write_url or f"{self.prometheus_url}/api/v1/write"


def ws_arguments(plan: RunPlan) -> list[str]:
    """`perfstack ws` flags for the scenario's websocket section (checked before the run with
    these same flags, so the child cannot fail on them after Locust started)."""
    assert plan.scenario is not None and plan.ws_url is not None
    arguments = ["--scenario", plan.scenario.source, "--url", plan.ws_url]
    arguments += ["--scenario-name", plan.scenario_name, "--prometheus", plan.prometheus_url]
    if plan.ws_duration is not None:
        arguments += ["--duration", f"{plan.ws_duration}s"]
    return arguments + (["--allow-remote-host"] if plan.allow_remote_host else [])


def locust_command(plan: RunPlan) -> list[str]:
    files = str(plan.locustfile) + (f",{SHAPE_FILE}" if plan.scenario else "")
    command = [
        sys.executable,
        "-m",
        "loadgen.locust.launcher",
        "-f",
        files,
        "--headless",
        "--host",
        plan.host,
    ]
    if plan.scenario is None:
        command += [
            "-u",
            str(plan.users),
            "-r",
            _number(plan.spawn_rate),
            "-t",
            f"{round(plan.duration)}s",
        ]
    if plan.processes:
        # Locust's master would listen on every interface (*:5557): this machine only
        command += ["--processes", str(plan.processes), "--master-bind-host", "127.0.0.1"]
        if plan.master_port is not None:
            command += [
                "--master-bind-port",
                str(plan.master_port),
                "--master-port",
                str(plan.master_port),
            ]
    if plan.csv_prefix:
        command += ["--csv", plan.csv_prefix]
    if plan.html_file:
        command += ["--html", plan.html_file]
    command += [
        "--perfstack-testid",
        plan.testid,
        "--perfstack-scenario",
        plan.scenario_name,
        "--perfstack-prometheus-url",
        plan.prometheus_url,
        "--perfstack-state-dir",
        str(plan.state_dir),
        "--perfstack-live-file",
        str(plan.live_file),
        "--perfstack-record-file",
        str(plan.locust_record_file),
        "--perfstack-max-names",
        str(plan.max_names),
    ]
    if plan.remote_write_url:
        command += ["--perfstack-remote-write-url", plan.remote_write_url]
    return command + plan.extra_args


def locust_environment(plan: RunPlan) -> dict[str, str]:
    environment = dict(os.environ)
    environment.pop("PERFSTACK_DISABLE", None)
    environment[BOUNDS_ENV] = ",".join(plan.bounds)
    environment.pop(ARRIVAL_ENV, None)
    if plan.scenario is not None:
        environment[SCENARIO_ENV] = json.dumps(plan.scenario.to_dict())
        if plan.scenario.arrival_source is not None:
            environment[ARRIVAL_ENV] = plan.scenario.arrival_source.where()
    return environment


def read_live(plan: RunPlan) -> dict[str, Any] | None:
    try:
        return dict(json.loads(plan.live_file.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def execute(
    plan: RunPlan,
    on_tick: Callable[[dict[str, Any] | None], None],
    tick: float = 0.5,
    live_gate: AbortCheck | None = None,
) -> RunRecord:
    """Run Locust to its end (or until the live gate says abort) and write the run record:
    the plugin's, handed over in a file, or one of our own when it handed none over. This
    is the one writer of the record of a `perfstack run`."""
    plan.log_file.parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    interrupted = False
    abort_reason = ""
    ws: WsProcess | None = None
    with plan.log_file.open("wb") as log:
        child = subprocess.Popen(
            locust_command(plan),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=locust_environment(plan),
            start_new_session=True,  # Ctrl-C reaches us only; we stop Locust with SIGINT
        )
        hidden = (NO_USER_CLASS,) + (() if plan.bounds else OUR_OWN_FLAGS_IGNORED)
        echo = LogEcho(plan.log_file, hide=hidden)
        try:
            ws = _start_ws(plan)
            while child.poll() is None:
                echo.poll()
                on_tick(read_live(plan))
                if live_gate is not None:
                    abort, reason = live_gate.should_abort()
                    if abort:
                        abort_reason = reason
                        _stop_child(child)
                        break
                time.sleep(tick)
        except KeyboardInterrupt:
            interrupted = True
            _stop_child(child)
    echo.poll()
    exit_code = child.returncode
    quit_early = _handed_status(plan) == QUIT_EARLY
    early = interrupted or bool(abort_reason) or quit_early or exit_code not in (0, 1)
    ws_summary = _finish_ws(ws, early)
    _raise_for_startup_failure(plan, exit_code)
    if plan.locust_record_file.is_file():
        record = read_record_file(plan.locust_record_file)
    else:
        record = RunRecord(
            testid=plan.testid,
            scenario=plan.scenario_name,
            generator="locust",
            target=plan.host,
            start=started,
            end=time.time(),
            prometheus_url=plan.prometheus_url,
            message=f"Locust ended without a run record; see {plan.log_file}: {_log_tail(plan)}",
        )
        record.exit_status, record.exit_code = "error", exit_code
        missing = workers_missing_message(_log_text(plan))
        if missing is not None:
            record.message, record.extra[WORKERS_MISSING] = missing, True
    if interrupted:
        record.exit_status = INTERRUPTED
    if abort_reason:
        record.exit_status, record.exit_code, record.message = ABORTED, 1, abort_reason
    record.extra["locust_log"] = str(plan.log_file)
    if plan.scenario is not None:
        # the stages as played (scaled by --users/--duration): the report marks their starts
        record.extra["stages"] = plan.scenario.to_dict()["stages"]
    if ws is not None:
        _attach_ws(record, plan, ws, ws_summary)
    record = joined_with_existing(plan.state_dir, record)
    attach_summary(record, plan.labels)
    write_record(plan.state_dir, record)
    plan.locust_record_file.unlink(missing_ok=True)
    if interrupted:
        raise KeyboardInterrupt
    return record


def _handed_status(plan: RunPlan) -> str:
    """The exit status of the record the plugin handed over ("" when none, or unreadable:
    reading it for the record proper reports that)."""
    try:
        return read_record_file(plan.locust_record_file).exit_status
    except (OSError, PerfstackError):
        return ""


def _start_ws(plan: RunPlan) -> WsProcess | None:
    if plan.ws_url is None or plan.scenario is None:
        return None
    return WsProcess.start(
        plan.scenario.source,
        testid=plan.testid,
        remote_write_url=plan.effective_remote_write_url,
        extra_args=tuple(ws_arguments(plan)),
        log_path=plan.ws_log_file,
    )


def _finish_ws(ws: WsProcess | None, early: bool) -> dict[str, Any] | None:
    """After a normal end the WebSocket child (same planned duration) gets a moment to end
    by itself; after an abort or Ctrl-C it is stopped at once (it still reports)."""
    if ws is None:
        return None
    deadline = time.monotonic() + (0.0 if early else WS_FINISH_GRACE_SECONDS)
    while ws.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    return ws.stop(STOP_GRACE_SECONDS)


def _attach_ws(
    record: RunRecord, plan: RunPlan, ws: WsProcess, summary: dict[str, Any] | None
) -> None:
    record.extra["ws_log"] = str(plan.ws_log_file)
    if summary is not None:
        attach_ws_summary(record, summary)
        return
    tail = " | ".join(_tail_lines(plan.ws_log_file))
    record.extra["ws_error"] = (
        f"the WebSocket generator ended without a summary (exit {ws.returncode}): {tail}"
    )


def _stop_child(child: subprocess.Popen[bytes]) -> None:
    """SIGINT makes Locust shut down once, cleanly (record, reports); wait, then insist.

    Not SIGTERM: Locust's SIGTERM handler and its main greenlet both run its shutdown, and
    the second one exits the process while the plugin's quit listener is still flushing
    metrics, so no run record would be written."""
    stop_children([child], signal.SIGINT, STOP_GRACE_SECONDS)


def _raise_for_startup_failure(plan: RunPlan, exit_code: int) -> None:
    log = plan.log_file.read_text(encoding="utf-8", errors="replace")
    for line in log.splitlines():
        if line.startswith(IMPORT_ERROR_PREFIX):
            raise PerfstackError(line[len(IMPORT_ERROR_PREFIX) :], ExitCode.LOCUSTFILE_IMPORT)
        if line.startswith(SHAPE_CONFLICT_PREFIX):
            raise PerfstackError(line[len(SHAPE_CONFLICT_PREFIX) :], ExitCode.USAGE)
    if NO_USER_CLASS in log:
        raise PerfstackError(
            f"{plan.locustfile}: no Locust User class found in the locustfile",
            ExitCode.LOCUSTFILE_IMPORT,
        )
    if (
        exit_code not in (0, 1)
        and not plan.locust_record_file.is_file()
        and "Starting Locust" not in log
    ):
        raise PerfstackError(
            f"Locust did not start (exit code {exit_code}): {_log_tail(plan)}",
            ExitCode.SERVICE_START_FAILED,
        )


def _log_text(plan: RunPlan) -> str:
    try:
        return plan.log_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _log_tail(plan: RunPlan, lines: int = 3) -> str:
    return " | ".join(_tail_lines(plan.log_file, lines))


def _tail_lines(path: Path, lines: int = 3) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines()[-lines:] if line.strip()]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
