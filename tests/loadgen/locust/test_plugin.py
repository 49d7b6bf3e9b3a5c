"""The plugin end to end: real Locust runs against the demo target, metrics read back from
a real Prometheus and compared with Locust's own counts (its CSV) and exact latencies."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from perfstack.testing import free_port, prom_query
from tests.loadgen.locust_runs import (
    WINDOW,
    finished_record,
    locust_json_counts,
    prom_by,
    run_perfstack,
    write_locustfile,
)

MIXED_LOCUSTFILE = """
from locust import FastHttpUser, HttpUser, constant, task

class Fast(FastHttpUser):
    wait_time = constant(0.005)
    @task(3)
    def health(self):
        self.client.get("/health")
    @task(2)
    def flaky(self):
        self.client.get("/api/flaky")

class Classic(HttpUser):
    wait_time = constant(0.005)
    @task
    def items(self):
        self.client.get("/api/items?limit=5", name="/api/items")
    @task
    def missing(self):
        self.client.get("/api/items/999999999", name="/api/items/[id]")
"""


def assert_counts_match(stack_url: str, testid: str, json_prefix: Path, record: object) -> None:
    locust = locust_json_counts(json_prefix)
    total_requests = sum(requests for requests, _ in locust.values())
    total_failures = sum(failures for _, failures in locust.values())
    assert total_requests > 100
    assert total_failures > 0  # flaky 503s and 404s
    assert (record.requests, record.failures) == (total_requests, total_failures)  # type: ignore[attr-defined]
    assert prom_by(stack_url, "loadgen_http_requests_total", testid) == {"": total_requests}
    assert prom_by(stack_url, "loadgen_http_request_failures_total", testid) == {"": total_failures}
    per_name = prom_by(stack_url, "loadgen_http_requests_total", testid, by="name")
    assert per_name == {name: requests for name, (requests, _) in locust.items()}
    failures = prom_by(stack_url, "loadgen_http_request_failures_total", testid, by="name")
    assert failures == {name: fails for name, (_, fails) in locust.items() if fails}
    by_type = prom_by(stack_url, "loadgen_http_request_failures_total", testid, by="error_type")
    # with 5 ms think time a user may have started its next request when the run stops
    assert set(by_type) - {"in_flight_at_stop"} == {"http_5xx", "http_4xx"}
    assert by_type == record.errors_by_type  # type: ignore[attr-defined]
    for name, (requests, fails) in locust.items():
        assert (record.names[name].requests, record.names[name].failures) == (requests, fails)  # type: ignore[attr-defined]


@pytest.mark.parametrize("processes", [None, 2], ids=["single", "master+2workers"])
def test_prometheus_counts_equal_locust_counts(stack, demo_target_factory, tmp_path, processes):
    target = demo_target_factory(flaky_ratio=0.3)
    locustfile = write_locustfile(tmp_path, MIXED_LOCUSTFILE)
    testid = f"counts-{processes or 1}-{tmp_path.name}"[:60]
    # the distributed run also plays a scenario (shape on the master, users on the workers)
    extra = ["--processes", str(processes), "--scenario", "smoke"] if processes else []
    result = run_perfstack(
        locustfile, target.url, tmp_path / "state", stack.prometheus_url,
        "-u", "6", "-t", "5s", "--testid", testid, "--csv", str(tmp_path / "locust"), *extra,
        "--", "--json-file", str(tmp_path / "final"),
    )  # fmt: skip
    record = finished_record(tmp_path / "state", testid, result)
    assert_counts_match(stack.prometheus_url, testid, tmp_path / "final", record)
    assert (tmp_path / "locust_stats.csv").stat().st_size > 0  # Locust's own CSV still written
    assert (record.scenario, record.users) == ("smoke" if processes else "adhoc", 6)
    selector = f'loadgen_http_requests_total{{testid="{testid}"}}[{WINDOW}]'
    instances = prom_query(
        stack.prometheus_url, f"count by (instance) (last_over_time({selector}))"
    )
    assert len(instances) == (processes or 1)
    assert len(record.generators) == (processes or 1)
    info = prom_query(
        stack.prometheus_url, f'last_over_time(loadgen_run_info{{testid="{testid}"}}[{WINDOW}])'
    )
    assert len(info) == 1 and info[0]["metric"]["target"] == target.url


ACCURACY_LOCUSTFILE = """
import os
from locust import HttpUser, constant, events, task

handle = None

@events.request.add_listener
def remember(response_time, **kwargs):
    global handle
    if handle is None:  # one file per process (workers are forked), a line per request
        path = os.path.join(os.environ["EXACT_DIR"], f"{os.getpid()}.txt")
        handle = open(path, "a", buffering=1)
    handle.write(f"{response_time / 1000.0!r}\\n")

class Latency(HttpUser):
    wait_time = constant(0)
    @task
    def latency(self):
        self.client.get("/api/latency")
"""


def nearest_rank(values: list[float], quantile: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(quantile * len(ordered)) - 1)]


def test_percentiles_accuracy_against_every_request(
    stack, demo_target_factory, tmp_path, monkeypatch
):
    target = demo_target_factory(latency_distribution="lognormal:20:0.6")
    exact_dir = tmp_path / "exact"
    exact_dir.mkdir()
    monkeypatch.setenv("EXACT_DIR", str(exact_dir))
    locustfile = write_locustfile(tmp_path, ACCURACY_LOCUSTFILE)
    testid = f"accuracy-{tmp_path.name}"[:60]
    result = run_perfstack(
        locustfile, target.url, tmp_path / "state", stack.prometheus_url,
        "-u", "20", "-t", "8s", "--testid", testid, "--processes", "2",
    )  # fmt: skip
    record = finished_record(tmp_path / "state", testid, result)
    times = [float(line) for path in exact_dir.glob("*.txt") for line in path.read_text().split()]
    assert len(times) == record.requests > 300
    exact_p95 = nearest_rank(times, 0.95)
    assert record.names["/api/latency"].percentiles["p95"] == pytest.approx(exact_p95, rel=0.01)
    assert record.percentiles["p95"] == pytest.approx(exact_p95, rel=0.01)
    assert record.percentiles["p50"] == pytest.approx(nearest_rank(times, 0.5), rel=0.01)
    assert record.percentiles["max"] == pytest.approx(max(times), rel=0.01)
    histogram_p95 = prom_query(
        stack.prometheus_url,
        "histogram_quantile(0.95, sum by (le) (last_over_time("
        f'loadgen_http_request_duration_seconds_bucket{{testid="{testid}"}}[{WINDOW}])))',
    )
    assert float(histogram_p95[0]["value"][1]) == pytest.approx(exact_p95, rel=0.05)
    published = prom_query(
        stack.prometheus_url,
        f'last_over_time(loadgen_http_request_duration_run_seconds{{testid="{testid}",'
        f'name="_overall_",quantile="0.95"}}[{WINDOW}])',
    )
    assert float(published[0]["value"][1]) == record.percentiles["p95"]


CARDINALITY_LOCUSTFILE = """
import itertools
from locust import FastHttpUser, constant, task

ids = itertools.count()

class Crawler(FastHttpUser):
    wait_time = constant(0)
    @task
    def distinct(self):
        self.client.get(f"/api/items/{next(ids) % 10000}")
"""


def test_distinct_urls_are_capped(stack, demo_target, tmp_path):
    locustfile = write_locustfile(tmp_path, CARDINALITY_LOCUSTFILE)
    testid = f"cardinality-{tmp_path.name}"[:60]
    result = run_perfstack(
        locustfile, demo_target.url, tmp_path / "state", stack.prometheus_url,
        "-u", "4", "-t", "5s", "--testid", testid, "--max-names", "50",
    )  # fmt: skip
    record = finished_record(tmp_path / "state", testid, result)
    assert record.requests > 200
    per_name = prom_by(stack.prometheus_url, "loadgen_http_requests_total", testid, by="name")
    assert len(per_name) == 51 and "_other_" in per_name
    overflow = prom_by(stack.prometheus_url, "loadgen_name_overflow_total", testid)
    assert overflow[""] == per_name["_other_"] == record.name_overflow == record.requests - 50
    assert sum(per_name.values()) == record.requests
    assert set(record.names) == set(per_name)
    assert (
        json.loads((tmp_path / "state" / "runs" / f"{testid}.json").read_text())["name_overflow"]
        > 0
    )


PER_WORKER_URLS_LOCUSTFILE = """
import itertools, os
from locust import FastHttpUser, constant, task

ids = itertools.count()

class Crawler(FastHttpUser):
    wait_time = constant(0.001)
    @task
    def distinct(self):  # every worker process requests URLs of its own
        self.client.get(f"/api/items/{os.getpid()}{next(ids) % 5000:04d}")
"""


def test_workers_share_one_name_cap(stack, demo_target, tmp_path):
    locustfile = write_locustfile(tmp_path, PER_WORKER_URLS_LOCUSTFILE)
    testid = f"cardinality-2w-{tmp_path.name}"[:60]
    result = run_perfstack(
        locustfile, demo_target.url, tmp_path / "state", stack.prometheus_url,
        "-u", "4", "-t", "5s", "--testid", testid, "--max-names", "30", "--processes", "2",
        "--", "--json-file", str(tmp_path / "final"),
    )  # fmt: skip
    record = finished_record(tmp_path / "state", testid, result)
    locust = locust_json_counts(tmp_path / "final")
    prefixes = {name[len("/api/items/") :][:-4] for name in locust}
    assert len(prefixes) == 2 and len(locust) > 2 * 30  # two workers, each past the cap alone
    per_name = prom_by(stack.prometheus_url, "loadgen_http_requests_total", testid, by="name")
    # one cap for the run: each worker capping its own names would export up to 2 x 30 + 1
    assert len(per_name) == 31 and "_other_" in per_name
    assert sum(per_name.values()) == record.requests == sum(n for n, _ in locust.values())
    for name, requests in per_name.items():
        if name != "_other_":  # every admitted name carries all its requests, on any worker
            assert requests == locust[name][0]
    assert set(record.names) == set(per_name)
    assert {name: stats.requests for name, stats in record.names.items()} == per_name
    overflow = prom_by(stack.prometheus_url, "loadgen_name_overflow_total", testid)
    assert overflow[""] == per_name["_other_"] == record.name_overflow
    assert record.extra["names_partial"] is False and record.extra["names_decided_alone"] == 0


NEW_NAMES_TO_THE_END_LOCUSTFILE = """
import itertools, os
from locust import FastHttpUser, constant, task

ids = itertools.count()

class Explorer(FastHttpUser):
    wait_time = constant(0.05)
    @task
    def fresh(self):  # a name never seen before, up to the last request
        self.client.get(f"/api/items/{os.getpid()}{next(ids):05d}")
"""


def test_names_first_seen_just_before_the_stop_are_agreed_with_the_master(
    stack, demo_target, tmp_path
):
    locustfile = write_locustfile(tmp_path, NEW_NAMES_TO_THE_END_LOCUSTFILE)
    testid = f"names-end-{tmp_path.name}"[:60]
    result = run_perfstack(
        locustfile, demo_target.url, tmp_path / "state", stack.prometheus_url,
        "-u", "4", "-t", "4s", "--testid", testid, "--max-names", "5000", "--processes", "2",
        "--", "--json-file", str(tmp_path / "final"),
    )  # fmt: skip
    record = finished_record(tmp_path / "state", testid, result)
    locust = locust_json_counts(tmp_path / "final")
    assert len(locust) > 100
    per_name = prom_by(stack.prometheus_url, "loadgen_http_requests_total", testid, by="name")
    assert per_name == {name: requests for name, (requests, _) in locust.items()}
    assert {name: stats.requests for name, stats in record.names.items()} == per_name
    assert record.extra["names_decided_alone"] == 0 and record.name_overflow == 0


WORKER_LOCUSTFILE = """
import loadgen.locust.plugin  # noqa: F401  (plain `locust --worker` needs the import)
from locust import FastHttpUser, constant, task

class Reader(FastHttpUser):
    wait_time = constant(0.01)
    @task
    def health(self):
        self.client.get("/health")
"""


def test_separate_master_and_plain_locust_worker(stack, demo_target, tmp_path):
    locustfile = write_locustfile(tmp_path, WORKER_LOCUSTFILE)
    testid = f"separate-{tmp_path.name}"[:60]
    port = free_port()
    command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--worker"]
    # a worker asked for Locust's --json-file writes none (plugin.keep_json_file_to_the_master):
    # under --processes its `[]` raced the master's file on the same path
    worker_json = tmp_path / "worker"
    worker = subprocess.Popen(
        [*command, "--master-port", str(port), "--json-file", str(worker_json)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        result = run_perfstack(
            locustfile, demo_target.url, tmp_path / "state", stack.prometheus_url,
            "-u", "3", "-t", "4s", "--testid", testid,
            "--", "--master", "--expect-workers", "1", "--master-bind-port", str(port),
            "--json-file", str(tmp_path / "final"),
        )  # fmt: skip
        worker.wait(30)
    finally:
        worker.kill()
    record = finished_record(tmp_path / "state", testid, result)
    assert record.extra["role"] == "master" and len(record.generators) == 1
    locust = locust_json_counts(tmp_path / "final")
    assert record.requests == locust["/health"][0] > 0
    assert worker.returncode == 0 and not Path(f"{worker_json}.json").exists()
    assert prom_by(stack.prometheus_url, "loadgen_http_requests_total", testid) == {
        "": record.requests
    }


def test_the_plugin_keeps_prometheus_client_out_of_the_locust_process() -> None:
    # Its import alone cost Locust ~1.5% of requests per CPU-second (perfstack.metrics.families).
    code = (
        "import sys, locust, loadgen.locust.plugin; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'prometheus_client'))"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_record_counts_the_whole_run_when_locust_resets_its_stats(stack, demo_target, tmp_path):
    locustfile = write_locustfile(tmp_path, WORKER_LOCUSTFILE)
    testid = f"reset-{tmp_path.name}"[:60]
    result = run_perfstack(
        locustfile, demo_target.url, tmp_path / "state", stack.prometheus_url,
        "-u", "4", "--spawn-rate", "1", "-t", "6s", "--testid", testid,
        "--", "--reset-stats", "--json-file", str(tmp_path / "final"),
    )  # fmt: skip
    record = finished_record(tmp_path / "state", testid, result)
    after_reset = locust_json_counts(tmp_path / "final")["/health"][0]
    assert record.extra["locust_requests"] == after_reset > 0
    # the requests of the 3 s ramp-up that Locust forgot are still in the record
    assert record.requests == record.names["/health"].requests > after_reset
    assert prom_by(stack.prometheus_url, "loadgen_http_requests_total", testid) == {
        "": record.requests
    }
