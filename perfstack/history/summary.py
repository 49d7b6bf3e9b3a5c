"""One summary per run: its run-level SLI values, kept in the run record and pushed to
Prometheus as `perfstack_run_summary` samples stamped at the run's end.

The series carry no testid (one series per scenario/sli/name, one sample per run), so a
store with long retention keeps a few series per scenario however many runs there are;
`perfstack_run_info{scenario, testid} 1` at the same timestamp says which run a sample
belongs to. Names are listed in docs/metrics.md ("Run summaries").

For callers other than `perfstack run|ws` and `gate check` (the pytest plugin):
`attach_summary(record, labels)` before writing the suite's record (its
`extra["benchmarks"]` means become `benchmark_mean_seconds` per benchmark), then
`push_run_summary(record, prometheus_url)`; or pass `values=[SummaryValue(...)]`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from perfstack.core.errors import PerfstackError
from perfstack.core.record import RunRecord
from perfstack.push.config import PushConfig
from perfstack.push.http import Outcome, RemoteWriteClient, post_batch
from perfstack.push.remote_write import compress, encode_write_request, sorted_labels

SUMMARY_METRIC = "perfstack_run_summary"
RUN_INFO_METRIC = "perfstack_run_info"
EXTRA_KEY = "summary"  # record.extra["summary"] = {"labels": {...}, "values": [...]}
OBJECTIVE_PREFIX = "objective:"

LATENCY_SLIS = {"p50": "latency_p50_seconds", "p95": "latency_p95_seconds"}
LATENCY_SLIS["p99"] = "latency_p99_seconds"
ERROR_RATIO = "error_ratio"
THROUGHPUT = "throughput_rps"
WS_RTT_P95 = "ws_rtt_p95_seconds"
TARGET_PEAK_RSS = "target_peak_rss_bytes"
TARGET_RSS_GROWTH = "target_rss_growth_bytes"
BENCHMARK_MEAN = "benchmark_mean_seconds"
STANDARD_SLIS = (
    *LATENCY_SLIS.values(),
    ERROR_RATIO,
    THROUGHPUT,
    WS_RTT_P95,
    TARGET_PEAK_RSS,
    TARGET_RSS_GROWTH,
    BENCHMARK_MEAN,
)
# SLIs whose fall is the regression; every other standard SLI regresses when it rises
LOWER_IS_WORSE = frozenset({THROUGHPUT})


@dataclass(frozen=True)
class SummaryValue:
    sli: str
    name: str  # request or benchmark name; "" for the whole run
    value: float

    def to_json(self) -> dict[str, Any]:
        return {"sli": self.sli, "name": self.name, "value": self.value}


def record_values(record: RunRecord) -> list[SummaryValue]:
    """The standard SLIs a run record holds: latency percentiles, error ratio and throughput
    of the whole run and of each request name; the WebSocket RTT p95."""
    values: list[SummaryValue] = []
    duration = record.duration or 0.0
    if record.generator not in ("ws", "pytest"):
        values += _request_values(
            "", record.requests, record.failures, record.percentiles, duration
        )
        for name, stats in sorted(record.names.items()):
            values += _request_values(
                name, stats.requests, stats.failures, stats.percentiles, duration
            )
    elif record.generator == "ws" and record.requests:
        values.append(SummaryValue(ERROR_RATIO, "", record.failures / record.requests))
    ws = record.extra.get("ws")
    rtt = ws.get("rtt_seconds", {}).get("p95") if isinstance(ws, dict) else None
    if isinstance(rtt, int | float):
        values.append(SummaryValue(WS_RTT_P95, "", float(rtt)))
    values += _benchmark_values(record.extra.get("benchmarks"))
    return [v for v in values if math.isfinite(v.value)]


def _benchmark_values(benchmarks: Any) -> list[SummaryValue]:
    """The pytest plugin's `extra.benchmarks`: {name: {"mean": seconds, ...}}."""
    if not isinstance(benchmarks, dict):
        return []
    return [
        SummaryValue(BENCHMARK_MEAN, str(name), float(stats["mean"]))
        for name, stats in sorted(benchmarks.items())
        if isinstance(stats, dict) and isinstance(stats.get("mean"), int | float)
    ]


def _request_values(
    name: str, requests: int, failures: int, percentiles: Mapping[str, float], duration: float
) -> list[SummaryValue]:
    if not requests:  # no request: no latency, and a 0 throughput says nothing of speed
        return []
    values = [
        SummaryValue(sli, name, float(percentiles[key]))
        for key, sli in LATENCY_SLIS.items()
        if isinstance(percentiles.get(key), int | float)
    ]
    values.append(SummaryValue(ERROR_RATIO, name, failures / requests))
    if duration > 0:
        values.append(SummaryValue(THROUGHPUT, name, requests / duration))
    return values


def attach_summary(
    record: RunRecord,
    labels: Mapping[str, str] | None = None,
    values: Sequence[SummaryValue] | None = None,
) -> list[SummaryValue]:
    """Keep the summary in the record (before it is written): the same values that are
    pushed, so history can be read back from local records when Prometheus lacks them."""
    chosen = list(record_values(record) if values is None else values)
    record.extra[EXTRA_KEY] = {
        "labels": dict(labels or {}),
        "values": [value.to_json() for value in chosen],
    }
    return chosen


def summary_of(record: RunRecord) -> tuple[dict[str, str], list[SummaryValue]]:
    """(labels, values) kept in a record; ({}, []) for a record without a summary."""
    kept = record.extra.get(EXTRA_KEY)
    if not isinstance(kept, dict):
        return {}, []
    labels = {str(k): str(v) for k, v in dict(kept.get("labels") or {}).items()}
    values = []
    for item in kept.get("values") or []:
        try:
            values.append(SummaryValue(str(item["sli"]), str(item["name"]), float(item["value"])))
        except (KeyError, TypeError, ValueError):
            continue  # a hand-edited entry: the others still count
    return labels, values


def summary_series(
    scenario: str,
    testid: str,
    values: Iterable[SummaryValue],
    labels: Mapping[str, str] | None = None,
) -> list[tuple[dict[str, str], float]]:
    """(labels with __name__, value) of every sample of one run's summary, run info first."""
    extra = dict(labels or {})
    series = [({"__name__": RUN_INFO_METRIC, **extra, "scenario": scenario, "testid": testid}, 1.0)]
    for value in values:
        if math.isfinite(value.value):
            series.append(
                (
                    {
                        "__name__": SUMMARY_METRIC,
                        **extra,
                        "scenario": scenario,
                        "sli": value.sli,
                        "name": value.name,
                    },
                    value.value,
                )
            )
    return series


def push_samples(
    remote_write_url: str,
    series: Sequence[tuple[Mapping[str, str], float]],
    timestamp: float,
    timeout: float = 5.0,
) -> tuple[bool, str]:
    """One remote-write request of `series`, all stamped at `timestamp` (Unix seconds).
    (sent, detail); never raises for an endpoint that is away or refuses."""
    stamp = round(timestamp * 1000)
    body = compress(
        encode_write_request(
            (sorted_labels({k: str(v) for k, v in labels.items()}), [(value, stamp)])
            for labels, value in series
        )
    )
    client = RemoteWriteClient(PushConfig(remote_write_url, timeout=timeout))
    try:
        result = post_batch(client, body)
    finally:
        client.close()
    return result.outcome is Outcome.SENT, result.detail


def remote_write_url_of(prometheus_url: str) -> str:
    return prometheus_url.rstrip("/") + "/api/v1/write"


def push_run_summary(
    record: RunRecord,
    prometheus_url: str,
    labels: Mapping[str, str] | None = None,
    values: Sequence[SummaryValue] | None = None,
    *,
    remote_write_url: str | None = None,
    timeout: float = 5.0,
) -> tuple[bool, str]:
    """Push one run's summary stamped at its end (now, for a record without an end).

    `values` default to what the record keeps (`attach_summary`), else to its standard
    SLIs; `labels` default to the record's kept labels. Returns (sent, detail) and never
    raises on a failed push: the caller warns, the run's result stands."""
    kept_labels, kept_values = summary_of(record)
    chosen = list(values) if values is not None else (kept_values or record_values(record))
    series = summary_series(
        record.scenario, record.testid, chosen, kept_labels if labels is None else labels
    )
    url = remote_write_url or remote_write_url_of(prometheus_url)
    try:
        return push_samples(url, series, record.end or time.time(), timeout)
    except PerfstackError as error:  # a URL that is not http(s)
        return False, error.message
