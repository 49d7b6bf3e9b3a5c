"""Runs and verdicts: one row per run with the gate's verdict, and the trend across runs."""

from __future__ import annotations

from typing import Any

from perfstack.mixin import config as c
from perfstack.mixin import thresholds as levels
from perfstack.mixin.dashboard import dashboard
from perfstack.mixin.panels import layout, query, row, table, timeseries

T = c.TESTID
RANGE = "$__range"


def _last(metric: str, extra: str = "") -> str:
    selector = f"{{{T}{', ' + extra if extra else ''}}}"
    return f"max by (testid) (last_over_time({metric}{selector}[{RANGE}]))"


START = _last("loadgen_run_start_timestamp_seconds")
END = _last("loadgen_run_end_timestamp_seconds")
DURATION = f"({END} - {START})"
# Counters start at zero with the run: the sum of each series' last value is the exact total.
REQUESTS = f"sum by (testid) (max_over_time(loadgen_http_requests_total{{{T}}}[{RANGE}]))"
FAILURES = f"sum by (testid) (max_over_time(loadgen_http_request_failures_total{{{T}}}[{RANGE}]))"
RUN_P95 = _last("loadgen_http_request_duration_run_seconds", 'name="_overall_", quantile="0.95"')


def _at_end(metric: str, extra: str = "", how: str = "max") -> str:
    """A value of the run's last push, held for END_OF_RUN_LOOKBACK: one point per run."""
    selector = f"{{{T}{', ' + extra if extra else ''}}}"
    return f"{how} by (testid) (last_over_time({metric}{selector}[{c.END_OF_RUN_LOOKBACK}]))"


def _by_objective(metric: str, selector: str) -> str:
    return f"max by (testid, objective) ({metric}{{{selector}}})"


def _runs_table() -> dict[str, Any]:
    columns = {
        "Started": (query(f"{START} * 1000", instant=True), "dateTimeAsIso"),
        "Duration": (query(DURATION, instant=True), "s"),
        "Verdict": (
            query(f"last_over_time(gate_overall_status{{{T}}}[{RANGE}]) == 1", instant=True),
            "label",
        ),
        "Score": (query(_last("gate_score_ratio"), instant=True), "percentunit"),
        "Requests": (query(REQUESTS, instant=True), "short"),
        "Requests/s": (query(f"{REQUESTS} / {DURATION}", instant=True), "reqps"),
        "Error ratio": (
            query(f"({FAILURES} or 0 * {REQUESTS}) / {REQUESTS}", instant=True),
            "percentunit",
        ),
        "p95 (exact)": (query(RUN_P95, instant=True), "s"),
    }
    return table(
        "Runs",
        columns,
        join_on="testid",
        label_columns={"Verdict": "status"},
        column_links={
            "testid": (
                "Open this run in the overview",
                f"/d/{c.UID_OVERVIEW}?var-testid=${{__value.raw}}&${{__url_time_range}}",
            )
        },
        description="One row per run in the time range (click a testid to open it); "
        "p95 is the exact run-level value",
    )


def _verdict_annotation() -> dict[str, Any]:
    """A marker at each gate evaluation titled with its verdict (FAIL marks a regression)."""
    expr = (
        f"max by (testid) (gate_evaluation_timestamp_seconds{{{T}}}) * on (testid) "
        f"group_left (status) (max by (testid, status) (gate_overall_status{{{T}}})"
        " == 1) * 1000"
    )
    return {
        "name": "Gate verdicts",
        "datasource": c.DATASOURCE,
        "enable": True,
        "iconColor": "red",
        "expr": expr,
        "useValueForTime": True,
        "step": "15s",
        "titleFormat": "gate {{status}}",
        "textFormat": "{{testid}}",
        "tagKeys": "testid,status",
    }


def build() -> dict[str, Any]:
    ended = f"and on (testid) ({_at_end('loadgen_run_end_timestamp_seconds')} > 0)"
    rows = [
        [(_runs_table(), 24)],
        [(row("Trend across runs"), 24)],
        [
            (
                timeseries(
                    "p95 per run (exact)",
                    [
                        query(
                            _at_end(
                                "loadgen_http_request_duration_run_seconds",
                                'name="_overall_", quantile="0.95"',
                            ),
                            "{{testid}}",
                        )
                    ],
                    unit="s",
                    points=True,
                    red_at=c.LATENCY_SLA_SECONDS,
                    level=levels.line("latency_p95", c.LATENCY_SLA_SECONDS),
                    description="Dashed red line: the latency_p95 pass level of the loaded "
                    "rule files (the strictest), else the default SLA",
                ),
                8,
            ),
            (
                timeseries(
                    "Throughput per run",
                    [
                        query(
                            f"{_at_end('loadgen_http_requests_total', how='sum')} / on (testid) "
                            f"({_at_end('loadgen_run_end_timestamp_seconds')}"
                            f" - {_at_end('loadgen_run_start_timestamp_seconds')}) {ended}",
                            "{{testid}}",
                        )
                    ],
                    unit="reqps",
                    points=True,
                    description="Requests over the run's duration, once the run has ended",
                ),
                8,
            ),
            (
                timeseries(
                    "Change against baseline by objective",
                    [
                        query(
                            _by_objective("gate_objective_relative_change_ratio", T),
                            "{{testid}} {{objective}}",
                        )
                    ],
                    unit="percentunit",
                    points=True,
                    description="Relative change of each objective against its baseline; red "
                    "markers: runs whose gate did not pass",
                ),
                8,
            ),
        ],
        [
            (
                timeseries(
                    "Gate objectives: value and pass threshold",
                    [
                        query(
                            f"max by (testid, objective) (gate_objective_value{{{T}}})",
                            "{{testid}} {{objective}} value",
                        ),
                        query(
                            _by_objective("gate_objective_threshold", f'{T}, level="pass"'),
                            "{{testid}} {{objective}} pass threshold",
                        ),
                    ],
                    points=True,
                ),
                12,
            ),
            (
                timeseries(
                    "Gate score",
                    [query(f"max by (testid) (gate_score_ratio{{{T}}})", "{{testid}}")],
                    unit="percentunit",
                    points=True,
                ),
                12,
            ),
        ],
    ]
    return dashboard(
        uid=c.UID_RUNS,
        title="Perfstack / Runs and verdicts",
        description="Every run in the time range with the gate's verdict; regressions across runs.",
        panels=layout(rows),
        include_all=True,
        extra_annotations=[_verdict_annotation()],
        time_from="now-24h",
    )
