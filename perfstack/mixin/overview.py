"""Load test overview: throughput, errors, latency, users, per-request table, generator health."""

from __future__ import annotations

from typing import Any

from perfstack.mixin import config as c
from perfstack.mixin import recording as r
from perfstack.mixin.dashboard import dashboard
from perfstack.mixin.panels import (
    layout,
    or_zero,
    query,
    row,
    stat,
    sum_rate,
    table,
    timeseries,
)

T = c.TESTID
RATE = "$__rate_interval"
HTTP = f'{{{T}, generator="locust"}}'


def _per_name_columns() -> dict[str, Any]:
    requests = f"loadgen_http_requests_total{{{T}}}"
    buckets = f"loadgen_http_request_duration_seconds_bucket{{{T}}}"
    failures = f"loadgen_http_request_failures_total{{{T}}}"
    by_name = "sum by (name) "
    # Counters start at 0 with the run, so the last value is the exact count (no
    # extrapolation as with increase()).
    count = f"{by_name}(max_over_time({requests}[$__range]))"
    return {
        "Requests": (query(count, instant=True), "short"),
        "Requests/s": (query(f"{by_name}(rate({requests}[$__range]))", instant=True), "reqps"),
        "p95": (
            query(
                f"histogram_quantile(0.95, sum by (name, le) (rate({buckets}[$__range])))",
                instant=True,
            ),
            "s",
        ),
        "p99": (
            query(
                f"histogram_quantile(0.99, sum by (name, le) (rate({buckets}[$__range])))",
                instant=True,
            ),
            "s",
        ),
        "Error ratio": (
            query(
                f"({by_name}(max_over_time({failures}[$__range])) or 0 * {count}) / {count}",
                instant=True,
            ),
            "percentunit",
        ),
    }


def build() -> dict[str, Any]:
    sla = c.LATENCY_SLA_SECONDS
    quantile = f'{r.HTTP_DURATION_QUANTILE}{{{T}, quantile="%s"}}'
    rows = [
        [
            (stat("Requests/s", query(f"sum({r.HTTP_REQUESTS_RATE}{{{T}}})")), 6),
            (
                stat(
                    "Error ratio",
                    query(f"max({r.HTTP_ERROR_RATIO}{{{T}}})"),
                    unit="percentunit",
                    red_at=c.ERROR_RATIO_MAX,
                ),
                6,
            ),
            (stat("p95 latency", query(f"max({quantile % '0.95'})"), unit="s", red_at=sla), 6),
            (stat("Active users", query(f"sum(loadgen_users_active{HTTP})")), 6),
        ],
        [(row("Throughput and errors"), 24)],
        [
            (
                timeseries(
                    "Requests per second",
                    [query(f"{r.HTTP_REQUESTS_RATE}{{{T}}}", "{{testid}}")],
                    unit="reqps",
                ),
                8,
            ),
            (
                timeseries(
                    "Errors per second by type",
                    [
                        query(
                            or_zero(
                                sum_rate(
                                    "loadgen_http_request_failures_total", "testid, error_type"
                                ),
                                sum_rate("loadgen_http_requests_total"),
                                "error_type",
                            ),
                            "{{testid}} {{error_type}}",
                        )
                    ],
                    unit="reqps",
                    stacked=True,
                ),
                8,
            ),
            (
                timeseries(
                    "Error ratio",
                    [query(f"{r.HTTP_ERROR_RATIO}{{{T}}}", "{{testid}}")],
                    unit="percentunit",
                    red_at=c.ERROR_RATIO_MAX,
                ),
                8,
            ),
        ],
        [(row("Latency and users"), 24)],
        [
            (
                timeseries(
                    "Latency p50 / p95 / p99",
                    [
                        query(quantile % q, f"{{{{testid}}}} p{int(float(q) * 100)}")
                        for q in r.QUANTILES
                    ],
                    unit="s",
                    red_at=sla,
                    description=f"From histograms, all instances merged; red line: SLA {sla} s",
                ),
                16,
            ),
            (
                timeseries(
                    "Active users",
                    [query(f"sum by (testid) (loadgen_users_active{HTTP})", "{{testid}}")],
                ),
                8,
            ),
        ],
        [
            (
                table(
                    "Requests by name",
                    _per_name_columns(),
                    join_on="name",
                    description="Over the dashboard's time range",
                ),
                24,
            )
        ],
        [(row("Generator health"), 24)],
        [
            (
                timeseries(
                    "Generator CPU (share of one core)",
                    [
                        query(
                            f"loadgen_generator_cpu_utilization_ratio{{{T}}}",
                            "{{generator}} {{instance}}",
                        )
                    ],
                    unit="percentunit",
                    red_at=0.9,
                ),
                8,
            ),
            (
                timeseries(
                    "Generator loop lag",
                    [
                        query(
                            f"loadgen_generator_loop_lag_seconds{{{T}}}",
                            "{{generator}} {{instance}}",
                        )
                    ],
                    unit="s",
                ),
                8,
            ),
            (
                timeseries(
                    "Dropped samples and failed pushes",
                    [
                        query(
                            or_zero(
                                sum_rate("loadgen_samples_dropped_total", "generator, reason"),
                                f"sum by (generator) (loadgen_run_info{{{T}}})",
                                "reason",
                            ),
                            "dropped {{generator}} {{reason}}",
                        ),
                        query(
                            sum_rate("loadgen_remote_write_requests_total", "generator, result"),
                            "pushes {{generator}} {{result}}",
                        ),
                    ],
                    unit="ops",
                ),
                8,
            ),
        ],
    ]
    return dashboard(
        uid=c.UID_OVERVIEW,
        title="Perfstack / Load test overview",
        description="HTTP load of the selected runs: throughput, errors, latency, generators.",
        panels=layout(rows),
    )
