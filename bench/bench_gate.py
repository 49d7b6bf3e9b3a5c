"""Benchmark: evaluating a 50-objective rule file against a local Prometheus.

Starts its own Prometheus (127.0.0.1, free port, temp dir), writes one run's metrics by
remote write (HTTP histogram with the schema's buckets over 4 names, request and failure
counters, exporter memory), then times `Gate.evaluate` over 50 objectives (shorthands and
raw PromQL) against a peer measured in the same process: the same resolved value queries
sent with a plain httpx client, one by one and on 8 threads (the gate judges 8
objectives at a time). The gate does more per objective (a second candidate query for
latency percentiles, a samples query, verdict logic), so the ratio says what that costs.

    .venv/bin/python bench/bench_gate.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from gate.evaluate import Gate
from gate.measure import Measurer
from gate.prometheus import PrometheusClient
from gate.rules import parse_rules
from gate.window import RunWindow
from perfstack.metrics.schema import LATENCY_BUCKETS
from perfstack.push.remote_write import (
    CONTENT_HEADERS,
    compress,
    encode_write_request,
    sorted_labels,
)
from perfstack.testing import PrometheusProcess

NAMES = ("/api/items", "/api/items/{id}", "/api/latency", "/health")
DURATION = 60.0


def write_run(url: str, testid: str, start: float) -> None:
    """A 60 s run: 1 s samples, 4 names, latency ~ uniform over the buckets up to 100 ms."""
    base = {"testid": testid, "scenario": "bench", "generator": "locust", "instance": "bench:1"}
    series = []
    for index, name in enumerate(NAMES):
        rate = 50.0 * (index + 1)
        labels = {**base, "name": name, "method": "GET", "status": "200"}
        times = [start + s for s in range(int(DURATION) + 1)]
        for bound in (*LATENCY_BUCKETS, float("inf")):
            share = min(1.0, bound / 0.1) if bound != float("inf") else 1.0
            bucket = {
                **labels,
                "__name__": "loadgen_http_request_duration_seconds_bucket",
                "le": "+Inf" if bound == float("inf") else repr(bound),
            }
            series.append(
                (
                    sorted_labels(bucket),
                    [(rate * s * share, int(t * 1000)) for s, t in enumerate(times)],
                )
            )
        for metric, per_second in (
            ("loadgen_http_request_duration_seconds_count", rate),
            ("loadgen_http_requests_total", rate),
            ("loadgen_http_request_duration_seconds_sum", rate * 0.05),
        ):
            series.append(
                (
                    sorted_labels({**labels, "__name__": metric}),
                    [(per_second * s, int(t * 1000)) for s, t in enumerate(times)],
                )
            )
        failures = {
            **base,
            "__name__": "loadgen_http_request_failures_total",
            "name": name,
            "method": "GET",
            "error_type": "http_5xx",
        }
        series.append(
            (
                sorted_labels(failures),
                [(rate * 0.01 * s, int(t * 1000)) for s, t in enumerate(times)],
            )
        )
    memory = {
        **base,
        "generator": "exporter",
        "__name__": "exporter_target_resident_memory_bytes",
        "target": "demo",
    }
    series.append(
        (sorted_labels(memory), [(100e6 + 1e5 * s, int((start + s) * 1000)) for s in range(61)])
    )
    body = compress(encode_write_request(series))
    response = httpx.post(url + "/api/v1/write", content=body, headers=CONTENT_HEADERS, timeout=30)
    response.raise_for_status()


def rules_text() -> str:
    """50 objectives: per-name latency percentiles and means, errors, throughput, memory, raw."""
    lines = ["name: bench", "objectives:"]
    shorthands = (
        "latency_p50",
        "latency_p90",
        "latency_p95",
        "latency_p99",
        "latency_max",
        "latency_mean",
        "error_ratio",
        "throughput",
        "request_count",
    )
    for name in NAMES:
        for sli in shorthands:
            lines.append(
                f'  - {{name: "{sli} {name}", sli: {sli}, request: "{name}", pass: "> -1"}}'
            )
    for sli in shorthands:
        lines.append(f'  - {{name: "{sli}", sli: {sli}, pass: "> -1"}}')
    lines.append('  - {name: memory growth, sli: memory_growth, pass: "< 1GB"}')
    lines.append('  - {name: memory peak, sli: memory_peak, pass: "< 1GB"}')
    for index in range(50 - (len(lines) - 2)):
        lines.append(
            f'  - {{name: "raw {index}", query: \'sum(last_over_time(loadgen_http_requests_total'
            f'{{testid="$testid",name="{NAMES[index % 4]}"}}[$range]))\', pass: ">= 0"}}'
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="bench-gate-"))
    prometheus = PrometheusProcess(directory).start()
    url = prometheus.url
    try:
        testid = "bench-run"
        start = time.time() - DURATION - 30
        write_run(url, testid, start)
        rules = parse_rules(rules_text(), "bench.yaml")
        assert len(rules.objectives) == 50, len(rules.objectives)
        window = RunWindow(testid, "bench", start, start + DURATION)
        client = PrometheusClient(url)
        queries = [Measurer(None, {}).queries(o, window)[-1] for o in rules.objectives]
        peer = httpx.Client(timeout=10)
        gate_times, peer_times, parallel_times = [], [], []
        calls = {"n": 0}
        instant = client.instant

        def counted(query: str, at: float) -> list:  # type: ignore[type-arg]
            calls["n"] += 1
            return instant(query, at)

        client.instant = counted  # type: ignore[method-assign]
        result = Gate(client, rules).evaluate(window)  # warm-up (and a sanity check)
        client.instant = instant  # type: ignore[method-assign]
        statuses = {str(r.status) for r in result.objectives}
        for _ in range(args.rounds):
            began = time.perf_counter()
            Gate(client, rules).evaluate(window)
            gate_times.append(time.perf_counter() - began)
            began = time.perf_counter()
            for query in queries:
                response = peer.get(
                    url + "/api/v1/query", params={"query": query, "time": window.eval_time}
                )
                response.raise_for_status()
            peer_times.append(time.perf_counter() - began)
            began = time.perf_counter()
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(
                    pool.map(
                        lambda q: peer.get(
                            url + "/api/v1/query", params={"query": q, "time": window.eval_time}
                        ),
                        queries,
                    )
                )
            parallel_times.append(time.perf_counter() - began)
        gate_total, peer_total = statistics.median(gate_times), statistics.median(peer_times)
        print(
            f"objectives: {len(rules.objectives)}  verdicts: {sorted(statuses)}  "
            f"rounds: {args.rounds}  gate queries per evaluation: {calls['n']}"
        )
        print(
            f"gate:  {gate_total * 1000:7.1f} ms for the file, "
            f"{gate_total / 50 * 1000:6.2f} ms per objective"
        )
        print(
            f"peer:  {peer_total * 1000:7.1f} ms for 50 plain instant queries (httpx), "
            f"{peer_total / 50 * 1000:6.2f} ms per query"
        )
        parallel_total = statistics.median(parallel_times)
        print(
            f"peer8: {parallel_total * 1000:7.1f} ms for the same 50 queries on 8 threads "
            "(as the gate runs)"
        )
        print(f"ratio gate/peer (sequential): {gate_total / peer_total:.2f}x")
        print(f"ratio gate/peer8 (same concurrency): {gate_total / parallel_total:.2f}x")
    finally:
        prometheus.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
