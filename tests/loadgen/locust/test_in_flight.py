"""Requests hanging when the run stops: counted as failures with their time, in Locust's
report, the record and Prometheus; and shown live while they hang (real runs against a
stalled demo target, both Locust clients)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from perfstack.core.errors import ExitCode
from perfstack.core.record import QUIT_EARLY, load_record
from perfstack.testing import prom_query
from tests.helpers import wait_until
from tests.loadgen.locust_runs import (
    WINDOW,
    locust_json_counts,
    prom_by,
    start_perfstack,
    write_locustfile,
)

BOTH_CLIENTS = """
from locust import FastHttpUser, HttpUser, constant, task

class Fast(FastHttpUser):
    fixed_count = 2
    wait_time = constant(0.2)
    @task
    def items(self):
        self.client.get("/api/items?limit=2", name="fast")

class Classic(HttpUser):
    fixed_count = 2
    wait_time = constant(0.2)
    @task
    def items(self):
        self.client.get("/api/items", params={"limit": 3})  # named by Locust: path and query
"""
USERS = 4


def read_live(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


@pytest.mark.parametrize(
    "processes",
    [None, pytest.param(2, marks=pytest.mark.slow(seconds=30))],
    ids=["single", "master+2workers"],
)
def test_requests_hanging_at_stop_are_failures_with_their_time_and_shown_live(
    stack, demo_target_factory, tmp_path: Path, processes: int | None
) -> None:
    """With workers, their reports (every 3 s) carry the requests in flight to the
    master's live view, and the hanging requests ride in their final reports."""
    target = demo_target_factory()
    state, testid = tmp_path / "state", f"inflight-{processes or 1}-{tmp_path.name}"[:60]
    distributed = ["--processes", str(processes)] if processes else []
    run = start_perfstack(
        write_locustfile(tmp_path, BOTH_CLIENTS), target.url, state, stack.prometheus_url,
        "-u", str(USERS), "-r", str(USERS), "-t", "20s" if processes else "12s",
        "--testid", testid, *distributed, "--", "--json-file", str(tmp_path / "final"),
    )  # fmt: skip
    live_file = state / "runs" / f"{testid}.live"
    try:
        wait_until(lambda: read_live(live_file).get("requests", 0) >= 8, timeout=30)
        target.set_knobs(stall_seconds=60)  # outlasts the run; released below
        # while every user hangs: nothing completes, so the rate is 0, and all are in flight
        live = wait_until(
            lambda: (
                (view := read_live(live_file)).get("in_flight") == USERS
                and view.get("rps") == 0.0
                and view.get("state") == "running"
                and view
            ),
            timeout=15 if processes else 10,
        )
        output, _ = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
        target.set_knobs(stall_seconds=0)
    assert run.returncode == 0, output
    seen_hanging = live["oldest_in_flight_seconds"]
    assert seen_hanging > 0

    record = load_record(state, testid)
    assert record.errors_by_type == {"in_flight_at_stop": USERS}
    assert record.failures == USERS
    # each hanging request counts under the name its completed ones have
    assert {name: stats.failures for name, stats in record.names.items()} == {
        "fast": 2,
        "/api/items?limit=3": 2,
    }
    # with its time from start to stop, at least its age seen live before the stop
    assert record.percentiles["max"] >= seen_hanging
    assert all(stats.percentiles["max"] >= seen_hanging for stats in record.names.values())
    # Locust's own report counts them too
    locust = locust_json_counts(tmp_path / "final")
    assert locust == {name: (s.requests, s.failures) for name, s in record.names.items()}
    assert (record.extra["locust_requests"], record.extra["locust_failures"]) == (
        record.requests,
        USERS,
    )
    assert "in_flight_at_stop=4" in output

    # Prometheus: failures by type, and USERS observations above the age seen live
    failures = prom_by(
        stack.prometheus_url, "loadgen_http_request_failures_total", testid, "error_type"
    )
    assert failures == {"in_flight_at_stop": USERS}
    buckets = {
        float(item["metric"]["le"]): float(item["value"][1])
        for item in prom_query(
            stack.prometheus_url,
            "sum by (le) (last_over_time(loadgen_http_request_duration_seconds_bucket"
            f'{{testid="{testid}"}}[{WINDOW}]))',
        )
    }
    below = max(le for le in buckets if le <= seen_hanging)
    assert buckets[float("inf")] == record.requests
    assert buckets[float("inf")] - buckets[below] == USERS
    assert (
        prom_by(stack.prometheus_url, "loadgen_http_requests_total", testid, "status")["none"]
        == USERS
    )


INSTALLED_LOCUST = """
import json
from locust.user.users import User
from loadgen.locust.in_flight import START_LOCAL, FrameCodes, StopWatch, install, uninstall
codes = FrameCodes()
watch = StopWatch(codes)
original = User.run
out = {
    "start_local": [START_LOCAL in c.co_varnames for c in (codes.http, codes.fast)],
    "locals": [n in codes.http.co_varnames for n in ("complete_url", "start_time", "context")]
    + [n in codes.fast.co_varnames for n in ("built_url", "start_time", "context")]
    + ["prep" in codes.prepare.co_varnames],
    "installed": install(watch),
    "again": install(watch),
    "wrapped": User.run is not original and User.run.__wrapped__ is original,
}
uninstall()
out["restored"] = User.run is original
print(json.dumps(out))
"""


def test_the_installed_locust_is_the_one_this_relies_on() -> None:
    """Both clients keep the request's start in `start_perf_counter` until they fire the
    event, and `User.run` is Locust's own: fails when a Locust upgrade changes that."""
    result = subprocess.run(
        [sys.executable, "-c", INSTALLED_LOCUST], capture_output=True, text=True, check=True
    )
    out = json.loads(result.stdout.splitlines()[-1])
    assert out == {
        "start_local": [True, True],
        "locals": [True] * 7,
        "installed": True,
        "again": True,
        "wrapped": True,
        "restored": True,
    }


SLOW_ONCE = """
import gevent
from locust import FastHttpUser, HttpUser, constant, task

def stop_soon(user):
    # the run stops while every user's one request is in flight
    if getattr(user.environment, "stopper", None) is None:
        user.environment.stopper = gevent.spawn_later(0.3, user.environment.runner.quit)

class Fast(FastHttpUser):
    fixed_count = 2
    wait_time = constant(30)  # one request each, then asleep when the users are killed
    @task
    def items(self):
        stop_soon(self)
        self.client.get("/api/items", name="slow")

class Classic(HttpUser):
    fixed_count = 1
    wait_time = constant(30)
    @task
    def items(self):
        stop_soon(self)
        self.client.get("/api/items", name="slow")
"""


def test_requests_landing_soon_after_the_stop_count_as_what_they_are(
    stack, demo_target_factory, tmp_path: Path
) -> None:
    """The run stops (0.3 s) while each user's one request (0.8 s) is in flight: they land
    within the grace and count as successes, with their time."""
    target = demo_target_factory(latency_ms=800)
    state, testid = tmp_path / "state", f"landing-{tmp_path.name}"[:60]
    run = start_perfstack(
        write_locustfile(tmp_path, SLOW_ONCE), target.url, state, stack.prometheus_url,
        "-u", "3", "-r", "3", "-t", "30s", "--testid", testid,
    )  # fmt: skip
    output, _ = run.communicate(timeout=60)
    # the locustfile itself quits the run long before its 30 s: an early end, not a failure
    assert run.returncode == ExitCode.RUN_ENDED_EARLY, output
    record = load_record(state, testid)
    assert record.exit_status == QUIT_EARLY
    assert (record.requests, record.failures, record.errors_by_type) == (3, 0, {})
    assert record.percentiles["p50"] >= 0.8
    assert record.extra["locust_requests"] == 3


BUSY_DURING_THE_GRACE = """
from locust import FastHttpUser, HttpUser, constant, task

class Slow(FastHttpUser):
    fixed_count = 1
    wait_time = constant(0)  # a 0.6 s request in flight when the run stops: the grace waits
    @task
    def slow(self):
        self.client.get("/api/latency", name="slow")

class Busy(HttpUser):
    fixed_count = 3
    wait_time = constant(0.01)  # starts new 0.1 s requests all through that grace
    @task
    def items(self):
        self.client.get("/api/items?limit=2", name="busy")
"""


def test_requests_started_after_the_stop_began_are_cut_not_counted(
    stack, demo_target_factory, tmp_path: Path
) -> None:
    """While the grace waits for the slow request in flight at the stop, the busy users
    go on starting requests; those belong to after the run's end and are not failures, so
    this healthy run ends without any."""
    target = demo_target_factory(latency_ms=100, latency_distribution="fixed:500")
    state, testid = tmp_path / "state", f"busy-{tmp_path.name}"[:60]
    run = start_perfstack(
        write_locustfile(tmp_path, BUSY_DURING_THE_GRACE), target.url, state,
        stack.prometheus_url, "-u", "4", "-r", "4", "-t", "3s", "--testid", testid,
    )  # fmt: skip
    output, _ = run.communicate(timeout=60)
    assert run.returncode == 0, output
    record = load_record(state, testid)
    assert record.names["slow"].requests >= 2 and record.names["busy"].requests > 10
    assert (record.failures, record.errors_by_type) == (0, {})
    assert record.extra["locust_failures"] == 0
