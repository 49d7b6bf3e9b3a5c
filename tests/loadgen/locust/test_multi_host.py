"""The plugin across hosts (loadgen/locust/plugin.py, distributed): a Locust master on one
host, two workers on two others, Prometheus on a fourth and the demo target on a fifth,
each a network namespace of its own (perfstack/testing/netns.py).

The master runs `perfstack run ... -- --master --master-bind-host <its address>`, the
workers plain `locust --worker --master-host <master>` with the plugin imported by the
locustfile (docs/http-load.md, "Distributed runs"). What it shows, against figures that
are not the plugin's own:

- every generator pushed to the metrics host, and the sum over instances of the request
  counters equals Locust's own totals (the master's --json-file) and the run record;
- the record's merged p50-p99 are those over all requests, computed here from every
  request's response time as the locustfile itself logged it on each worker (one file per
  worker): the nearest-rank value, at HdrHistogram's precision (within 1/1024, see below);
- the workers were on other hosts: the target's kernel saw connections from the two worker
  addresses only, and Prometheus' `instance` labels name the worker hosts.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from hdrh.histogram import HdrHistogram

from perfstack.core.record import load_record
from perfstack.testing.netns import Topology, netns_available

pytestmark = [
    pytest.mark.skipif(netns_available() is not None, reason=str(netns_available())),
    pytest.mark.slow(seconds=60),
]

USERS_PER_WORKER = 20
RUN_SECONDS = 30
TARGET_PORT = 8000
PROMETHEUS_PORT = 9090

LOCUSTFILE = """
import os
from pathlib import Path

import loadgen.locust.plugin  # noqa: F401  (plain `locust --worker` needs the import)
from locust import FastHttpUser, constant, events, task

# every request's response time as Locust hands it to listeners (ms), one file per process:
# the test's own account, independent of the plugin's histograms
_log = Path(os.environ["REQUEST_LOG_DIR"]) / f"{os.uname().nodename}-{os.getpid()}.txt"
_times = []


@events.request.add_listener
def _keep(response_time, **_):
    _times.append(response_time)


@events.quit.add_listener
def _write(**_):
    if _times:
        _log.write_text("\\n".join(repr(t) for t in _times) + "\\n")


class Reader(FastHttpUser):
    wait_time = constant(0.1)

    @task
    def health(self):
        self.client.get("/health")
"""

PROMETHEUS_CONFIG = "global:\n  scrape_interval: 15s\n"


def _by_instance(body: str) -> dict[str, float]:
    answer = json.loads(body)
    assert answer["status"] == "success", answer
    return {
        item["metric"].get("instance", ""): float(item["value"][1])
        for item in answer["data"]["result"]
    }


def _nearest_rank(values: list[float], quantile: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(quantile * len(ordered))) - 1]


def test_two_workers_on_other_hosts_push_exact_totals_and_the_master_merges_percentiles(
    tmp_path: Path,
) -> None:
    names = ["master", "worker1", "worker2", "metrics", "target"]
    logs = tmp_path / "logs"
    requests_dir = tmp_path / "requests"
    for folder in (logs, requests_dir, tmp_path / "prometheus"):
        folder.mkdir()
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(LOCUSTFILE)
    (tmp_path / "prometheus.yml").write_text(PROMETHEUS_CONFIG)
    testid = f"netns-{tmp_path.name}"[:60]
    with Topology(names) as hosts:
        master, metrics, target = hosts["master"], hosts["metrics"], hosts["target"]
        prometheus_url = f"http://{metrics.address}:{PROMETHEUS_PORT}"
        target_url = f"http://{target.address}:{TARGET_PORT}"

        def log(name: str) -> Path:
            return logs / f"{name}.log"

        hosts.popen("metrics", [
            "prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'prometheus'}",
            f"--web.listen-address={metrics.address}:{PROMETHEUS_PORT}",
            "--web.enable-remote-write-receiver",
        ], log("prometheus"))  # fmt: skip
        hosts.popen(
            "target",
            [sys.executable, "-m", "demo", "--host", target.address, "--port", str(TARGET_PORT)],
            log("target"),
        )
        # reached from the master's host: across the LAN, as the generators will
        hosts.wait_http("master", f"{prometheus_url}/-/ready")
        hosts.wait_http("master", f"{target_url}/health")

        environ = {"REQUEST_LOG_DIR": str(requests_dir), "PYTHONUNBUFFERED": "1"}
        # the master first: it waits for both workers before the run (and its clock) starts
        run = hosts.popen("master", [
            sys.executable, "-m", "perfstack", "run", "-f", str(locustfile),
            "--host", target_url, "--allow-remote-host", "--prometheus", prometheus_url,
            "--state-dir", str(tmp_path / "state"), "--testid", testid,
            "-u", str(2 * USERS_PER_WORKER), "-r", str(2 * USERS_PER_WORKER),
            "-t", f"{RUN_SECONDS}s",
            "--", "--master", "--expect-workers", "2", "--master-bind-host", master.address,
            "--json-file", str(tmp_path / "locust"),
        ], log("master"), env={**os.environ, **environ})  # fmt: skip

        worker_argv = [sys.executable, "-m", "locust", "-f", str(locustfile), "--worker"]
        workers = [
            hosts.popen(
                worker,
                [*worker_argv, "--master-host", master.address],
                log(worker),
                env={**os.environ, **environ},
            )
            for worker in ("worker1", "worker2")
        ]
        peers: set[str] = set()  # who the target's kernel sees connected to it while the run goes
        deadline = time.monotonic() + RUN_SECONDS + 120  # a master left waiting for workers
        while run.poll() is None and time.monotonic() < deadline:
            listing = hosts.run("target", ["ss", "-Htn", "state", "established"]).stdout
            for line in listing.splitlines():
                local, peer = line.split()[-2:]
                if local.endswith(f":{TARGET_PORT}"):
                    peers.add(peer.rsplit(":", 1)[0])
            time.sleep(2)
        master_log = (logs / "master.log").read_text()
        assert run.poll() == 0, master_log[-3000:]
        for worker in workers:
            assert worker.wait(30) == 0

        selector = f'testid="{testid}"'
        exprs = [
            f"last_over_time(loadgen_http_requests_total{{{selector}}}[15m])",
            f"sum(last_over_time(loadgen_http_requests_total{{{selector}}}[15m]))",
            f"max_over_time(loadgen_users_active{{{selector}}}[15m])",
            f"last_over_time(loadgen_run_info{{{selector}}}[15m])",
            f"last_over_time(loadgen_http_request_duration_run_seconds{{{selector},"
            'name="_overall_",quantile="0.95"}[15m])',
        ]
        bodies = hosts.http_get_all(
            "metrics",
            [f"{prometheus_url}/api/v1/query?query={quote(expr, safe='')}" for expr in exprs],
        )
        per_instance, total, users, run_info, p95_series = map(_by_instance, bodies)

    record = load_record(tmp_path / "state", testid)
    locust_stats = json.loads((tmp_path / "locust.json").read_text())
    locust_total = sum(entry["num_requests"] for entry in locust_stats)
    times = [
        float(line)
        for path in sorted(requests_dir.iterdir())
        for line in path.read_text().splitlines()
    ]

    # totals: Prometheus = Locust = the record = the locustfile's own count, exactly
    assert locust_total > 1000
    assert total == {"": float(locust_total)}
    assert record.requests == locust_total == len(times)
    assert record.failures == sum(entry["num_failures"] for entry in locust_stats) == 0
    # the workers' hosts, by name, in the instance labels (each process its own hostname)
    assert sorted(instance.split(":")[0] for instance in per_instance) == ["worker1", "worker2"]
    assert sum(per_instance.values()) == locust_total
    assert {i.split(":")[0]: n for i, n in users.items()} == {
        "worker1": USERS_PER_WORKER,
        "worker2": USERS_PER_WORKER,
    }
    assert [instance.split(":")[0] for instance in run_info] == ["master"]
    assert sorted(path.name.split("-")[0] for path in requests_dir.iterdir()) == [
        "worker1",
        "worker2",
    ]
    # the target saw the load come from the two worker hosts, and from nowhere else
    assert peers == {hosts["worker1"].address, hosts["worker2"].address}

    # the master's record names the workers that produced load, as Prometheus does
    assert record.generators == sorted(per_instance)

    # percentiles: the nearest-rank value over every request, as the merged HdrHistogram
    # (1 us, 3 significant digits) holds it: its bucket's highest equivalent value, at most
    # 1/1024 above the value itself after rounding to whole microseconds
    histogram = HdrHistogram(1, 3_600_000_000, 3)
    held = {}
    for quantile, key in (0.5, "p50"), (0.9, "p90"), (0.95, "p95"), (0.99, "p99"):
        true_ms = _nearest_rank(times, quantile)
        held[key] = histogram.get_highest_equivalent_value(int(true_ms * 1000 + 0.5)) / 1e6
        assert true_ms / 1000 - 0.5e-6 <= held[key] <= (true_ms / 1000 + 0.5e-6) * (1 + 1 / 1024)
    assert {key: record.percentiles[key] for key in held} == held
    assert p95_series == {next(iter(run_info)): held["p95"]}  # pushed by the master
