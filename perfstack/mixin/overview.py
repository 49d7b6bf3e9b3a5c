"""Load test overview: throughput, errors, latency, users, per-request table, generator health."""

from __future__ import annotations

from typing import Any

from perfstack.mixin import config as c
from perfstack.mixin import open_model
from perfstack.mixin import recording as r
from perfstack.mixin import thresholds as levels
from perfstack.mixin.dashboard import dashboard, label_variable
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


NAMES = f"{T}, {c.REQUEST_FILTER}"
RUN_START = f"max by (testid) (max_over_time(loadgen_run_start_timestamp_seconds{{{T}}}[$__range]))"
RUN_END = f"max by (testid) (max_over_time(loadgen_run_end_timestamp_seconds{{{T}}}[$__range]))"
# Each run's own length: start to end, or to now while it runs (its end gauge is 0 then).
RUN_SECONDS = f"sum((({RUN_END} > 0) or ({RUN_START} * 0 + time())) - {RUN_START})"


def _per_name_columns() -> dict[str, Any]:
    """Figures of the selected runs' own windows, whatever the dashboard's time range (as
    long as it holds the runs): counters start at 0 with a run, so their largest value in
    the range is the run's exact count, and the cumulative buckets give the run-wide
    quantiles. After a run ends, p95 and p99 are its exact values (HdrHistogram)."""
    requests = f"loadgen_http_requests_total{{{NAMES}, {c.STATUS_FILTER}}}"
    buckets = f"loadgen_http_request_duration_seconds_bucket{{{NAMES}, {c.STATUS_FILTER}}}"
    failures = f"loadgen_http_request_failures_total{{{NAMES}}}"
    by_name = "sum by (name) "
    count = f"{by_name}(max_over_time({requests}[$__range]))"

    def quantile(q: str) -> str:
        exact = (
            f"max by (name) (last_over_time(loadgen_http_request_duration_run_seconds"
            f'{{{T}, name=~"$name", name!="_overall_", quantile="{q}"}}[$__range]))'
        )
        estimate = (
            f"histogram_quantile({q}, sum by (name, le) (max_over_time({buckets}[$__range])))"
        )
        return f"{exact} or {estimate}"

    return {
        "Requests": (query(count, instant=True), "short"),
        "Requests/s": (query(f"{count} / scalar({RUN_SECONDS})", instant=True), "reqps"),
        "p95": (query(quantile("0.95"), instant=True), "s"),
        "p99": (query(quantile("0.99"), instant=True), "s"),
        "Error ratio": (
            query(
                f"({by_name}(max_over_time({failures}[$__range])) or 0 * {count}) / {count}",
                instant=True,
            ),
            "percentunit",
        ),
    }


def latency_by_name(q: str) -> str:
    """Latency quantile `q` per request name and method, from the run's histograms."""
    return (
        f"histogram_quantile({q}, sum by (name, method, le) (rate("
        f"loadgen_http_request_duration_seconds_bucket"
        f"{{{NAMES}, {c.STATUS_FILTER}}}[{RATE}])))"
    )


def generator_saturated() -> str:
    """1 while a generator process is saturated (over 90% of a core for 10 s), else 0."""
    return f"max by (generator, instance) (loadgen_generator_saturated{{{T}}})"


def failures_by_name() -> str:
    """Failed requests per second per request name and method (the HTML report draws it)."""
    return f"sum by (name, method) (rate(loadgen_http_request_failures_total{{{NAMES}}}[{RATE}]))"


def build() -> dict[str, Any]:
    sla = c.LATENCY_SLA_SECONDS
    p95_level = levels.line("latency_p95", sla)
    error_level = levels.line("error_ratio", c.ERROR_RATIO_MAX)
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
                    level=error_level,
                ),
                6,
            ),
            (
                stat(
                    "p95 latency",
                    query(f"max({quantile % '0.95'})"),
                    unit="s",
                    red_at=sla,
                    level=p95_level,
                ),
                6,
            ),
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
                    level=error_level,
                    description="Dashed red line: the error_ratio pass level of the loaded "
                    f"rule files (the strictest), else the default {c.ERROR_RATIO_MAX:g}",
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
                    level=p95_level,
                    description="From histograms, all instances merged; dashed red line: the "
                    "latency_p95 pass level of the loaded rule files (the strictest), else the "
                    f"default SLA {sla} s",
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
                    description="Over each selected run's own window (counts and rates "
                    "exact; p95/p99 exact once the run ended), not the dashboard's time range",
                ),
                24,
            )
        ],
        [
            (
                timeseries(
                    "Requests per second by name",
                    [
                        query(
                            f"sum by (name, method) (rate(loadgen_http_requests_total"
                            f"{{{NAMES}, {c.STATUS_FILTER}}}[{RATE}]))",
                            "{{method}} {{name}}",
                        )
                    ],
                    unit="reqps",
                ),
                12,
            ),
            (
                timeseries(
                    "p95 latency by name",
                    [query(latency_by_name("0.95"), "{{method}} {{name}}")],
                    unit="s",
                    red_at=c.LATENCY_SLA_SECONDS,
                    # per-request objectives count here too: the strictest level of any
                    level=levels.line("latency_p95", c.LATENCY_SLA_SECONDS, matchers=""),
                    description="Dashed red line: the strictest latency_p95 pass level of "
                    "the loaded rule files, per-request ones included, else the default SLA",
                ),
                12,
            ),
        ],
        *open_model.rows(generator_saturated()),
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
        extra_variables=[
            label_variable(label, title, "loadgen_http_requests_total")
            for label, title in (("name", "Request"), ("method", "Method"), ("status", "Status"))
        ],
    )
