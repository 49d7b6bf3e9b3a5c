"""Freshness: time from a counter increment to its value being queryable in Prometheus.

perfstack's remote-write push at the default 1 s interval, against the peer Prometheus
users know: the same counter scraped from /metrics with a 1 s scrape interval. Both are
measured on the same increments, in one run, against one private Prometheus on 127.0.0.1.
Goal (what "live" has to mean on a dashboard): under 2 s at the default interval.

    .venv/bin/python bench/bench_freshness.py [--trials 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter

from perfstack.push.config import PushConfig
from perfstack.push.pull import serve_metrics
from perfstack.push.pusher import RemoteWritePusher
from perfstack.testing import PrometheusProcess, free_port, prom_query

GOAL_SECONDS = 2.0


def _latest(url: str, expr: str) -> float | None:
    result = prom_query(url, expr)
    return float(result[0]["value"][1]) if result else None


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()

    registry = CollectorRegistry()
    counter = Counter("bench_freshness_events", "increments", registry=registry)
    pull_port = free_port()
    server = serve_metrics(registry, pull_port)
    workdir = Path(tempfile.mkdtemp(prefix="bench-freshness-"))
    prometheus = PrometheusProcess(workdir, scrape_targets=(f"127.0.0.1:{pull_port}",)).start()
    pusher = RemoteWritePusher(
        registry, PushConfig(url=prometheus.remote_write_url, labels={"testid": "freshness"})
    ).start()
    push_expr = 'bench_freshness_events_total{testid="freshness"}'
    pull_expr = 'bench_freshness_events_total{job="pull"}'
    push_times: list[float] = []
    pull_times: list[float] = []
    try:
        deadline = time.monotonic() + 30
        while _latest(prometheus.url, pull_expr) is None and time.monotonic() < deadline:
            time.sleep(0.1)  # first scrape
        rng = random.Random(1)
        for trial in range(1, args.trials + 1):
            time.sleep(rng.uniform(0.0, 1.0))  # random phase against both schedules
            counter.inc()
            start = time.monotonic()
            pending = {"push": push_expr, "pull": pull_expr}
            while pending and time.monotonic() - start < 30:
                for kind, expr in list(pending.items()):
                    if _latest(prometheus.url, expr) == trial:
                        elapsed = time.monotonic() - start
                        (push_times if kind == "push" else pull_times).append(elapsed)
                        del pending[kind]
                time.sleep(0.01)
            if pending:
                print(f"trial {trial}: not visible within 30 s: {sorted(pending)}")
                return 1
    finally:
        pusher.stop()
        server.shutdown()
        prometheus.stop()

    push_median, pull_median = statistics.median(push_times), statistics.median(pull_times)
    push_p95, pull_p95 = _p95(push_times), _p95(pull_times)
    print(f"freshness over {args.trials} increments (seconds; ratio = value / goal or peer)")
    print(f"{'':28}{'median':>9}{'p95':>9}")
    print(f"{'push, 1 s interval':28}{push_median:9.3f}{push_p95:9.3f}")
    print(f"{'peer: scrape, 1 s interval':28}{pull_median:9.3f}{pull_p95:9.3f}")
    print(
        f"push / 2 s goal:   median {push_median / GOAL_SECONDS:.2f}   p95 "
        f"{push_p95 / GOAL_SECONDS:.2f}   (goal met: {push_p95 < GOAL_SECONDS})"
    )
    print(
        f"push / 1 s scrape: median {push_median / pull_median:.2f}   p95 {push_p95 / pull_p95:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
