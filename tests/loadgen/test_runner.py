"""`perfstack run` through faults: a stalled then killed target, Prometheus down mid-run.

Also the command line handed to Locust (pure)."""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path

import pytest

from loadgen.runner import SHAPE_FILE, RunPlan, locust_command
from loadgen.scenarios import resolve_scenario
from perfstack.core import processes
from perfstack.core.record import load_record
from perfstack.core.settings import PROMETHEUS
from perfstack.stack import lifecycle as stack_lifecycle
from perfstack.testing import free_port, prom_query
from tests.helpers import wait_until
from tests.loadgen.locust_runs import (
    WINDOW,
    finished_record,
    prom_by,
    start_perfstack,
    write_locustfile,
)

TIMEOUT_LOCUSTFILE = """
from locust import FastHttpUser, HttpUser, constant, task

class Classic(HttpUser):
    wait_time = constant(0.05)
    @task
    def health(self):
        self.client.get("/health", timeout=0.5)

class Fast(FastHttpUser):
    wait_time = constant(0.05)
    network_timeout = 0.5
    connection_timeout = 0.5
    @task
    def health(self):
        self.client.get("/", name="/root")
"""


def plan(tmp_path: Path, **changes: object) -> RunPlan:
    values: dict[str, object] = dict(
        locustfile=tmp_path / "lf.py", host="http://127.0.0.1:8000", testid="t-1",
        scenario_name="adhoc", state_dir=tmp_path, prometheus_url="http://127.0.0.1:9999",
    )  # fmt: skip
    values.update(changes)
    return RunPlan(**values)  # type: ignore[arg-type]


def test_command_without_scenario_passes_users_rate_and_time(tmp_path):
    command = locust_command(plan(tmp_path, users=7, spawn_rate=2.5, duration=12, processes=2))
    assert command[command.index("-f") + 1] == str(tmp_path / "lf.py")
    assert command[command.index("-u") + 1 : command.index("-u") + 6] == [
        "7", "-r", "2.5", "-t", "12s",
    ]  # fmt: skip
    assert command[command.index("--processes") + 1] == "2"
    assert command[command.index("--perfstack-testid") + 1] == "t-1"
    assert "--headless" in command


def test_command_with_scenario_adds_the_shape_and_leaves_users_to_it(tmp_path):
    command = locust_command(plan(tmp_path, scenario=resolve_scenario("smoke")))
    assert command[command.index("-f") + 1] == f"{tmp_path / 'lf.py'},{SHAPE_FILE}"
    assert "-u" not in command and "-t" not in command


def test_extra_arguments_go_last_unchanged(tmp_path):
    command = locust_command(plan(tmp_path, extra_args=["--json-file", "x"], csv_prefix="c"))
    assert command[-2:] == ["--json-file", "x"]
    assert command[command.index("--csv") + 1] == "c"


def test_stalled_then_killed_target_gives_classified_errors_and_a_record(
    stack, demo_target_factory, tmp_path
):
    target = demo_target_factory()
    locustfile = write_locustfile(tmp_path, TIMEOUT_LOCUSTFILE)
    testid = f"faults-{tmp_path.name}"[:60]
    state = tmp_path / "state"
    run = start_perfstack(
        locustfile,
        target.url,
        state,
        stack.prometheus_url,
        "-u",
        "4",
        "-t",
        "9s",
        "--testid",
        testid,
    )
    live = state / "runs" / f"{testid}.live"
    wait_until(lambda: live.is_file() and '"requests": 0,' not in live.read_text(), timeout=20)
    target.set_knobs(stall_seconds=2)
    time.sleep(2.5)
    target.kill()
    output, _ = run.communicate(timeout=60)
    record = finished_record(state, testid, run)
    assert record.exit_status == "completed", output
    assert record.errors_by_type["timeout"] > 0
    assert record.errors_by_type["connection_refused"] > 0
    assert sum(record.errors_by_type.values()) == record.failures
    by_type = prom_by(
        stack.prometheus_url, "loadgen_http_request_failures_total", testid, "error_type"
    )
    assert by_type == record.errors_by_type
    assert prom_by(stack.prometheus_url, "loadgen_http_requests_total", testid) == {
        "": record.requests
    }
    assert "connection_refused" in output  # the summary names the error types


@pytest.mark.slow(seconds=35)
def test_prometheus_down_for_20s_loses_no_sample(stack_factory, demo_target, tmp_path):
    settings = stack_factory()
    locustfile = write_locustfile(tmp_path, TIMEOUT_LOCUSTFILE)
    testid = f"outage-{tmp_path.name}"[:60]
    state = tmp_path / "state"
    run = start_perfstack(
        locustfile, demo_target.url, state, settings.prometheus_url,
        "-u", "2", "-t", "30s", "--testid", testid,
    )  # fmt: skip
    live = state / "runs" / f"{testid}.live"
    wait_until(live.is_file, timeout=20)
    time.sleep(2)
    pid = processes.read_pid(settings.pid_file(PROMETHEUS))
    assert pid is not None
    processes.stop(pid, PROMETHEUS.binaries)
    stopped_at = time.time()
    time.sleep(20)
    stack_lifecycle.up(settings)
    output, _ = run.communicate(timeout=90)
    record = finished_record(state, testid, run)
    assert record.samples_dropped == 0, output
    assert record.end is not None and record.end > stopped_at + 20  # the run outlived the outage
    url = settings.prometheus_url
    assert prom_by(url, "loadgen_http_requests_total", testid) == {"": record.requests}
    # one sample per push interval (1 s) throughout, the outage included
    raw = prom_query(url, f'loadgen_run_start_timestamp_seconds{{testid="{testid}"}}[{WINDOW}]')
    stamps = [float(t) for t, _ in raw[0]["values"]]
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert stamps[0] < stopped_at and stamps[-1] > stopped_at + 20
    assert max(gaps) < 2.0, gaps


def test_prometheus_unreachable_all_run_still_gives_a_record_with_the_loss(demo_target, tmp_path):
    locustfile = write_locustfile(tmp_path, TIMEOUT_LOCUSTFILE)
    testid = f"no-prometheus-{tmp_path.name}"[:60]
    state = tmp_path / "state"
    run = start_perfstack(
        locustfile, demo_target.url, state, f"http://127.0.0.1:{free_port()}",
        "-u", "2", "-t", "3s", "--testid", testid, "--", "--perfstack-push-stop-timeout", "1",
    )  # fmt: skip
    output, _ = run.communicate(timeout=60)
    record = finished_record(state, testid, run)
    assert record.requests > 0 and record.failures == 0
    assert record.samples_dropped > 0
    assert f"{record.samples_dropped} samples could not be pushed" in output
    # said while it happens, not only in the log
    assert "locust warning: remote write to http://127.0.0.1:" in output
    # one writer: the plugin handed its record over, the parent wrote the only record file
    assert record.extra["role"] == "local" and record.extra["locust_log"].endswith(".locust.log")
    assert sorted(p.name for p in (state / "runs").glob(f"{testid}*")) == [
        f"{testid}.json",
        f"{testid}.live",
        f"{testid}.locust.log",
    ]


def _listening_by(pids: set[int]) -> list[str]:
    """`ss -ltnp` lines of sockets the given processes listen on."""
    import re
    import subprocess

    out = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True, check=True).stdout
    return [
        line for line in out.splitlines() if {int(p) for p in re.findall(r"pid=(\d+)", line)} & pids
    ]


def test_with_processes_every_socket_the_run_opens_listens_on_loopback(
    demo_target, stack, tmp_path
):
    import psutil

    locustfile = write_locustfile(tmp_path, TIMEOUT_LOCUSTFILE)
    testid = f"bind-{tmp_path.name}"[:60]
    port = free_port()
    run = start_perfstack(
        locustfile, demo_target.url, tmp_path / "state", stack.prometheus_url,
        "-u", "2", "-t", "6s", "--processes", "2", "--master-port", str(port), "--testid", testid,
    )  # fmt: skip
    try:

        def listening() -> list[str]:
            tree = {run.pid, *(c.pid for c in psutil.Process(run.pid).children(recursive=True))}
            lines = _listening_by(tree)
            return lines if any(f":{port} " in line for line in lines) else []

        lines = wait_until(listening, timeout=30)
        for line in lines:
            local = line.split()[3]
            assert local.startswith(("127.0.0.1:", "[::1]:")), line
    finally:
        output, _ = run.communicate(timeout=60)
    assert run.returncode == 0, output


def test_the_html_report_and_the_locust_log_are_named_at_the_end(demo_target, stack, tmp_path):
    from tests.loadgen.locust_runs import run_perfstack

    report = tmp_path / "out" / "report.html"
    report.parent.mkdir()
    testid = f"html-{tmp_path.name}"[:60]
    result = run_perfstack(
        write_locustfile(tmp_path, TIMEOUT_LOCUSTFILE), demo_target.url, tmp_path / "state",
        stack.prometheus_url, "-u", "1", "-t", "2s", "--testid", testid, "--html", str(report),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"HTML report: {report}" in result.stdout.splitlines()
    assert report.is_file() and "<html" in report.read_text().lower()
    log = tmp_path / "state" / "runs" / f"{testid}.locust.log"
    assert f"Locust log: {log}" in result.stdout.splitlines()


STAGES_SHAPE_LOCUSTFILE = """
from locust import HttpUser, LoadTestShape, constant, task


class Browse(HttpUser):
    wait_time = constant(0.1)

    @task
    def health(self):
        self.client.get("/health")


class StagesShape(LoadTestShape):
    # the shape of Locust's examples/custom_shape/stages.py, shortened
    stages = [
        {"duration": 2, "users": 2, "spawn_rate": 2},
        {"duration": 4, "users": 1, "spawn_rate": 1},
    ]

    def tick(self):
        run_time = self.get_run_time()
        for stage in self.stages:
            if run_time < stage["duration"]:
                return stage["users"], stage["spawn_rate"]
        return None
"""


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--scenario", "smoke", "-t", "10s"], "--scenario, --duration"),
        (["-u", "5"], "--users"),
    ],
)
def test_a_locustfile_shape_with_bounds_is_refused_before_any_load(
    demo_target, stack, tmp_path, flags, named
):
    from tests.loadgen.locust_runs import run_perfstack

    locustfile = write_locustfile(tmp_path, STAGES_SHAPE_LOCUSTFILE)
    result = run_perfstack(
        locustfile, demo_target.url, tmp_path / "state", stack.prometheus_url, *flags,
        "--testid", f"shape-{tmp_path.name}"[:60],
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith(
        f"perfstack: error: {locustfile}: defines its own load shape StagesShape"
    )
    assert f"which would override {named}" in error


@pytest.mark.parametrize("flag", ["scenario", "rate"])
def test_arrival_stages_with_a_locustfile_shape_are_refused_naming_file_line_and_key(
    demo_target, stack, tmp_path, flag
):
    from tests.loadgen.locust_runs import run_perfstack

    locustfile = write_locustfile(tmp_path, STAGES_SHAPE_LOCUSTFILE)
    scenario = tmp_path / "open.yaml"
    scenario.write_text("name: open\nstages:\n  - {kind: arrival, rate: 5/s, duration: 3s}\n")
    flags = ["--scenario", str(scenario)] if flag == "scenario" else ["--rate", "5/s"]
    result = run_perfstack(
        locustfile, demo_target.url, tmp_path / "state", stack.prometheus_url, *flags,
        "--testid", f"arrival-shape-{flag}",
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    where = f"{scenario}:3: stages[0].kind" if flag == "scenario" else "--rate 5/s"
    assert result.stderr.strip().splitlines() == [
        f"perfstack: error: {where}: arrival stages start the iterations themselves, but "
        f"{locustfile} defines its own load shape StagesShape: remove the shape class, or "
        "use user stages"
    ]


def test_a_locustfile_shape_without_bounds_plays_as_written(demo_target, stack, tmp_path):
    from tests.loadgen.locust_runs import finished_record, run_perfstack

    testid = f"shape-ok-{tmp_path.name}"[:60]
    result = run_perfstack(
        write_locustfile(tmp_path, STAGES_SHAPE_LOCUSTFILE), demo_target.url,
        tmp_path / "state", stack.prometheus_url, "--testid", testid,
    )  # fmt: skip
    record = finished_record(tmp_path / "state", testid, result)
    assert record.requests > 0 and record.users == 2
    assert record.duration is not None and record.duration < 15  # the shape's 4 s, not 60 s
    assert record.exit_status == "completed" and record.message == ""
    # the panel's countdown: the shape alone knows when it ends, so no false "remaining"
    progress = [line for line in result.stdout.splitlines() if " remaining=" in line]
    assert progress, result.stdout
    assert all("remaining=decided by the shape StagesShape" in line for line in progress)


QUITTING_LOCUSTFILE = """
import time

from locust import HttpUser, LoadTestShape, constant, task

FIRST = []


class Browse(HttpUser):
    wait_time = constant(0.1)

    @task
    def health(self):
        self.client.get("/health")
        FIRST.append(time.monotonic())
        if FIRST[-1] - FIRST[0] > 1.0:
            self.environment.runner.quit()  # the locustfile ends the run itself
"""

QUITTING_SHAPE = """

class StagesShape(LoadTestShape):
    stages = [
        {"duration": 2, "users": 2, "spawn_rate": 2},
        {"duration": 4, "users": 1, "spawn_rate": 1},
    ]

    def tick(self):
        run_time = self.get_run_time()
        for stage in self.stages:
            if run_time < stage["duration"]:
                return stage["users"], stage["spawn_rate"]
        return None
"""


@pytest.mark.parametrize(
    ("body", "flags", "planned"),
    [
        (QUITTING_LOCUSTFILE + QUITTING_SHAPE, [], ", before the load shape StagesShape ended"),
        (QUITTING_LOCUSTFILE, ["-t", "6s", "-u", "2"], " of the planned 6s"),
    ],
    ids=["own-shape", "duration"],
)
def test_a_run_the_locustfile_quits_early_is_not_completed(
    demo_target, stack, tmp_path, body, flags, planned
):
    from tests.loadgen.locust_runs import run_perfstack

    testid = f"quits-{tmp_path.name}"[:60]
    result = run_perfstack(
        write_locustfile(tmp_path, body), demo_target.url, tmp_path / "state",
        stack.prometheus_url, *flags, "--testid", testid,
    )  # fmt: skip
    assert result.returncode == 22, result.stdout + result.stderr
    record = load_record(tmp_path / "state", testid)
    assert record.exit_status == "quit_early" and record.requests > 0
    # how far the load got: the task quits 1 s after the first request
    elapsed = re.fullmatch(rf"Locust quit after (\d+\.\d)s{re.escape(planned)}", record.message)
    assert elapsed is not None, record.message
    assert 1.0 < float(elapsed[1]) < 3.5 and record.duration is not None
    assert float(elapsed[1]) <= round(record.duration, 1)
    warning = result.stderr.strip().splitlines()[-1]
    assert warning == f"perfstack: warning: the run ended early: {record.message}"
