"""Benchmark: the HTML report of a 10-minute run, its file size and how long Chromium
takes to open it.

Starts its own Prometheus (127.0.0.1, free port, temp dir) and writes 10 minutes of a
realistic run into it by remote write with past timestamps, 1 s apart as the pushers send
them: 6 request names with the schema's full histogram, request and failure counters,
users ramping in three stages, generator CPU, WebSocket series and the target's memory and
CPU. Recording rules only evaluate at the present, so the recorded series the dashboards
read (`testid:...`, `target:...`) are written as well. A run record with exact
percentiles and histograms goes into a temp state dir; a second run serves as the baseline.

Then, for the report alone and with the baseline overlaid: the time `perfstack report`
takes to gather and write it, the file size (limit 5 MB), and the time headless Chromium
(network off, 1400x900) takes from navigation until the page is open: its tables shown
and the charts on screen drawn (limit 2 s; the charts below are drawn lazily,
perfstack/report/drawing.py), against the peer in the same run: an empty HTML page
opened the same way. Also how long until every chart is drawn when the page is asked to
draw them all at once.

    .venv/bin/python bench/bench_report.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from perfstack.core.record import NameStats, RunRecord, write_record
from perfstack.metrics.exact import BIN_BOUNDS_US
from perfstack.metrics.schema import LATENCY_BUCKETS
from perfstack.push.remote_write import CONTENT_HEADERS, compress, encode_write_request
from perfstack.push.remote_write import sorted_labels as labelled
from perfstack.report.cli import make_report
from perfstack.report.data import ReportRequest
from perfstack.report.drawing import ALL_DRAWN, FIRST_VIEW
from perfstack.testing import PrometheusProcess
from perfstack.testing.browser import visit

DURATION = 600
NAMES = ("/", "/api/items", "/api/items/{id}", "/api/latency", "/api/flaky", "/health")
MEDIANS = (0.004, 0.012, 0.009, 0.060, 0.015, 0.002)  # seconds, per name
STAGES = ((120, 50), (360, 50), (120, 0))  # (seconds, users at the stage's end)
SIZE_LIMIT, OPEN_LIMIT = 5_000_000, 2.0

Series = tuple[tuple[tuple[str, str], ...], list[tuple[float, int]]]


def _lognormal_cdf(x: float, median: float, sigma: float = 0.6) -> float:
    return 0.5 * (1 + math.erf(math.log(x / median) / (sigma * math.sqrt(2))))


def _bins(requests: int, median: float) -> list[list[float]]:
    """`requests` spread over the record's histogram bins by the name's distribution."""
    bins, before = [], 0
    for bound_us in BIN_BOUNDS_US:
        below = round(requests * _lognormal_cdf(bound_us / 1e6, median))
        if below > before:
            bins.append([bound_us / 1e6, below - before])
            before = below
    if before < requests:
        bins.append([BIN_BOUNDS_US[-1] / 1e6, requests - before])
    return bins


def _users(second: int) -> float:
    elapsed, users = 0, 0.0
    for length, target in STAGES:
        if second <= elapsed + length:
            return users + (target - users) * (second - elapsed) / length
        elapsed, users = elapsed + length, float(target)
    return users


def _post(url: str, series: list[Series]) -> None:
    body = compress(encode_write_request(series))
    response = httpx.post(url + "/api/v1/write", content=body, headers=CONTENT_HEADERS, timeout=60)
    response.raise_for_status()


def write_run(url: str, testid: str, start: float, slower: float = 1.0) -> RunRecord:
    """Push 10 minutes of series for `testid`; return its run record (exact percentiles
    from the same distributions)."""
    base = {"testid": testid, "scenario": "bench", "instance": "bench:1"}
    seconds = range(DURATION + 1)
    ms = [int((start + s) * 1000) for s in seconds]
    users = [_users(s) for s in seconds]
    per_user = 2.0  # requests per second per user, over all names
    record = RunRecord(testid=testid, scenario="bench", generator="locust",
                       target="http://127.0.0.1:8000", start=start, end=start + DURATION,
                       users=50, exit_status="completed", generators=["bench:1"])  # fmt: skip
    record.extra["stages"] = [
        {"kind": "ramp" if target else "stop", "duration": float(length), "users": target,
         "spawn_rate": 1.0}
        for length, target in STAGES
    ]  # fmt: skip
    for index, (name, median) in enumerate(zip(NAMES, MEDIANS, strict=True)):
        median *= slower
        share = (index + 1) / sum(range(1, len(NAMES) + 1))
        counts, total = [], 0.0
        for s in seconds:
            total += users[s] * per_user * share
            counts.append(math.floor(total))
        labels = {**base, "generator": "locust", "name": name, "method": "GET", "status": "200"}
        series: list[Series] = []
        for bound in (*LATENCY_BUCKETS, math.inf):
            cdf = 1.0 if math.isinf(bound) else _lognormal_cdf(bound, median)
            le = "+Inf" if math.isinf(bound) else repr(bound)
            key = labelled({**labels, "__name__": "loadgen_http_request_duration_seconds_bucket",
                            "le": le})  # fmt: skip
            series.append(
                (key, [(math.floor(c * cdf), t) for c, t in zip(counts, ms, strict=True)])
            )
        for metric in (
            "loadgen_http_requests_total",
            "loadgen_http_request_duration_seconds_count",
        ):
            key = labelled({**labels, "__name__": metric})
            series.append((key, [(float(c), t) for c, t in zip(counts, ms, strict=True)]))
        failed = name == "/api/flaky"
        failures = [math.floor(c * 0.05) if failed else 0 for c in counts]
        key = labelled({**labels, "__name__": "loadgen_http_request_failures_total",
                        "error_type": "http_5xx"})  # fmt: skip
        series.append((key, [(float(f), t) for f, t in zip(failures, ms, strict=True)]))
        _post(url, series)
        percentiles = {
            key: median * math.exp(0.6 * z)
            for key, z in (("p50", 0.0), ("p90", 1.2816), ("p95", 1.6449), ("p99", 2.3263),
                           ("max", 3.7))
        }  # fmt: skip
        record.names[name] = NameStats(counts[-1], failures[-1], percentiles,
                                       histogram=_bins(counts[-1], median))  # fmt: skip
    record.requests = sum(stats.requests for stats in record.names.values())
    record.failures = sum(stats.failures for stats in record.names.values())
    record.percentiles = dict(record.names["/api/items"].percentiles)
    overall: dict[float, int] = {}
    for stats in record.names.values():
        for bound, count in stats.histogram:
            overall[bound] = overall.get(bound, 0) + int(count)
    record.histogram = [[bound, overall[bound]] for bound in sorted(overall)]
    shared = {**base, "generator": "locust"}
    ws = {**base, "generator": "ws"}
    exporter = {**base, "generator": "exporter", "target": "demo-target"}
    gauges: list[Series] = [
        (labelled({**shared, "__name__": "loadgen_users_active"}),
         [(u, t) for u, t in zip(users, ms, strict=True)]),
        (labelled({**shared, "__name__": "loadgen_run_info"}), [(1.0, t) for t in ms]),
        (labelled({**shared, "__name__": "loadgen_generator_cpu_utilization_ratio"}),
         [(0.1 + u / 100, t) for u, t in zip(users, ms, strict=True)]),
        (labelled({**ws, "__name__": "loadgen_run_info"}), [(1.0, t) for t in ms]),
        (labelled({"testid": testid, "__name__": "testid:loadgen_ws_connections_open:sum"}),
         [(min(100.0, s / 2), t) for s, t in zip(seconds, ms, strict=True)]),
        (labelled({"testid": testid, "__name__": "testid:loadgen_ws_messages_sent:rate1m"}),
         [(min(100.0, s / 2) * 0.5, t) for s, t in zip(seconds, ms, strict=True)]),
        (labelled({"testid": testid, "__name__": "testid:loadgen_ws_messages_received:rate1m"}),
         [(min(100.0, s / 2) * 0.5, t) for s, t in zip(seconds, ms, strict=True)]),
        *[
            (labelled({"testid": testid, "quantile": q,
                       "__name__": "testid_quantile:loadgen_ws_message_rtt_seconds:"
                                   "histogram_quantile1m"}),
             [(0.002 * (1 + float(q)) * slower, t) for t in ms])
            for q in ("0.5", "0.95", "0.99")
        ],
        (labelled({**exporter, "__name__": "exporter_target_cpu_utilization_ratio"}),
         [(0.05 + u / 80, t) for u, t in zip(users, ms, strict=True)]),
        (labelled({"testid": testid, "target": "demo-target",
                   "__name__": "target:exporter_target_resident_memory_bytes:sum"}),
         [(80e6 + 20_000 * s, t) for s, t in zip(seconds, ms, strict=True)]),
    ]  # fmt: skip
    _post(url, gauges)
    return record


def _open(path: Path, rounds: int, ready: str) -> tuple[float, int, int]:
    """Median seconds to `ready`; console errors; requests leaving the page."""
    times, errors, outside = [], 0, 0
    for _ in range(rounds):
        page = visit(path, ready=ready, timeout=60)
        times.append(page.ready_seconds)
        errors += len(page.console_errors)
        outside += len(page.outside_requests)
    return statistics.median(times), errors, outside


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="bench-report-"))
    prometheus = PrometheusProcess(directory).start()
    try:
        state = directory / "state"
        now = time.time()
        baseline = write_run(prometheus.url, "bench-baseline", now - 2 * DURATION - 60)
        current = write_run(prometheus.url, "bench-run", now - DURATION - 30, slower=1.15)
        for record in (baseline, current):
            record.prometheus_url = prometheus.url
            write_record(state, record)
        empty = directory / "empty.html"
        empty.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head>"
                         "<body></body></html>\n")  # fmt: skip
        peer_ready = "document.readyState === 'complete'"
        peer, _, _ = _open(empty, args.rounds, peer_ready)
        print(f"10-minute run, {len(NAMES)} names, 1 s samples; rounds: {args.rounds}")
        print(f"peer: empty page opened in {peer * 1000:6.0f} ms (until {peer_ready})")
        for label, baseline_testid in (("report", None), ("with baseline", "bench-baseline")):
            out = directory / f"{label.replace(' ', '-')}.html"
            began = time.perf_counter()
            make_report(ReportRequest("bench-run", state, prometheus.url, baseline_testid), out)
            written = time.perf_counter() - began
            size = out.stat().st_size
            opened, errors, outside = _open(out, args.rounds, FIRST_VIEW)
            drawn, more_errors, more_outside = _open(out, args.rounds, ALL_DRAWN)
            errors, outside = errors + more_errors, outside + more_outside
            print(
                f"{label:>13}: {size / 1e6:5.2f} MB (limit {SIZE_LIMIT / 1e6:g} MB), "
                f"written in {written:5.2f} s, opened in {opened * 1000:6.0f} ms "
                f"(limit {OPEN_LIMIT:g} s; {opened / peer:4.1f}x the empty page), "
                f"every chart drawn in {drawn * 1000:6.0f} ms, "
                f"console errors {errors}, requests leaving the page {outside}"
            )
            if opened > OPEN_LIMIT:  # a time depends on the machine's load: said, not failed
                print(f"{label}: drawn slower than {OPEN_LIMIT:g} s on this machine")
            if size > SIZE_LIMIT or errors or outside:
                raise SystemExit(f"{label}: over the size limit, console errors or requests")
    finally:
        prometheus.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
