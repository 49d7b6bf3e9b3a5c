"""The gate's part of the run summary (perfstack/history/summary.py): each objective's value
as `objective:<name>`, and the target's peak RSS and RSS growth over the run when the
exporter watched it, pushed stamped at the run's end like the generators' summaries."""

from __future__ import annotations

import json
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

RSS = "max by (target) (exporter_target_resident_memory_bytes{{testid={testid}}})"
MAX_POINTS = 1000  # steps of the range query over the run (1 s apart for runs up to ~16 min)


def objective_values(result: GateResult) -> list[SummaryValue]:
    return [
        SummaryValue(OBJECTIVE_PREFIX + entry.objective.name, "", float(entry.value))
        for entry in result.objectives
        if entry.value is not None and math.isfinite(entry.value)
    ]


def target_memory_values(result: GateResult, client: PrometheusClient) -> list[SummaryValue]:
    """Peak and growth (last minus first sample) of the target's RSS over [start, end],
    summed over the targets the exporter watched; none without exporter data (or when
    Prometheus cannot answer: the verdict is what the gate check is for)."""
    if result.end is None or result.end <= result.start:
        return []
    query = f"sum({RSS.format(testid=json.dumps(result.testid))})"
    step = max(1.0, (result.end - result.start) / MAX_POINTS)
    try:
        series = client.range(query, result.start, result.end, step)
    except PrometheusError:
        return []
    points = [value for s in series for _, value in s.points if math.isfinite(value)]
    if not points:
        return []
    return [
        SummaryValue(TARGET_PEAK_RSS, "", max(points)),
        SummaryValue(TARGET_RSS_GROWTH, "", points[-1] - points[0]),
    ]


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
