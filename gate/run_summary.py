"""The gate's part of the run summary (perfstack/history/summary.py): each objective's value
as `objective:<name>`, and the target's peak RSS and RSS growth over the run when the
exporter watched it, pushed stamped at the run's end like the generators' summaries."""

from __future__ import annotations

import math
from collections.abc import Mapping

from gate.prometheus import PrometheusClient, PrometheusError
from gate.verdicts import GateResult
from perfstack.history.summary import (
    OBJECTIVE_PREFIX,
    TARGET_PEAK_RSS,
    TARGET_RSS_GROWTH,
    SummaryValue,
    push_samples,
    summary_series,
)

RSS = "max by (target) (exporter_target_resident_memory_bytes{{testid={testid!r}}})"
# how far after the start the "before" RSS is read: the exporter's first sample
RSS_START_LOOKAHEAD = 15.0


def objective_values(result: GateResult) -> list[SummaryValue]:
    return [
        SummaryValue(OBJECTIVE_PREFIX + entry.objective.name, "", float(entry.value))
        for entry in result.objectives
        if entry.value is not None and math.isfinite(entry.value)
    ]


def target_memory_values(result: GateResult, client: PrometheusClient) -> list[SummaryValue]:
    """Peak and growth of the target's RSS over [start, end]; none without exporter data
    (or when Prometheus cannot answer: the verdict is what the gate is for)."""
    if result.end is None or result.end <= result.start:
        return []
    rss = RSS.format(testid=result.testid).replace("'", '"')
    span = max(1, math.ceil(result.end - result.start))
    try:
        peak = client.instant(f"max(max_over_time(({rss})[{span}s:1s]))", result.end)
        last = client.instant(f"max(last_over_time(({rss})[{span}s:1s]))", result.end)
        first_at = min(result.end, result.start + RSS_START_LOOKAHEAD)
        first = client.instant(f"max({rss})", first_at)
    except PrometheusError:
        return []
    values = []
    if peak and math.isfinite(peak[0].value):
        values.append(SummaryValue(TARGET_PEAK_RSS, "", peak[0].value))
    if last and first and math.isfinite(last[0].value - first[0].value):
        values.append(SummaryValue(TARGET_RSS_GROWTH, "", last[0].value - first[0].value))
    return values


def push_gate_summary(
    result: GateResult,
    remote_write_url: str,
    client: PrometheusClient | None,
    labels: Mapping[str, str],
    timeout: float = 5.0,
) -> tuple[bool, str]:
    values = objective_values(result)
    if client is not None:
        values += target_memory_values(result, client)
    series = summary_series(result.scenario, result.testid, values, labels)
    return push_samples(remote_write_url, series, result.end or result.evaluated_at, timeout)
