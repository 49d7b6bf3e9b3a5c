"""The gate's part of the run summary: objective values and the target's memory, pushed
to the real Prometheus stamped at the run's end."""

from __future__ import annotations

from typing import Any

import pytest

from gate.prometheus import PrometheusClient
from gate.run_summary import objective_values, push_gate_summary, target_memory_values
from perfstack.history.summary import push_samples
from tests.helpers import prom_query

MB = 1_000_000


def _rss(stack: Any, testid: str, points: list[tuple[float, float]]) -> None:
    for stamp, value in points:
        labels = {
            "__name__": "exporter_target_resident_memory_bytes",
            "testid": testid,
            "target": "demo",
            "generator": "exporter",
        }
        sent, detail = push_samples(stack.remote_write_url, [(labels, value)], stamp)
        assert sent, detail


def test_objective_values_are_the_measured_ones(mixed_result: Any) -> None:
    values = {v.sli: v.value for v in objective_values(mixed_result)}
    # NO_DATA and ERROR objectives have no value: nothing is claimed for them
    assert values == {
        "objective:requests": 500.0,
        "objective:throughput": 25.0,
        "objective:errors": 0.1,
        "objective:vs baseline": 500.0,
    }


def test_target_memory_peak_and_growth_over_the_run(mixed_result: Any, stack: Any) -> None:
    start, end = mixed_result.start, mixed_result.end
    middle = start + (end - start) / 2
    points = [(start + 0.5, 100 * MB), (middle, 180 * MB), (end - 0.2, 130 * MB)]
    _rss(stack, mixed_result.testid, points)
    with PrometheusClient(stack.prometheus_url) as client:
        values = {v.sli: v.value for v in target_memory_values(mixed_result, client)}
    assert values == {
        "target_peak_rss_bytes": 180 * MB,
        "target_rss_growth_bytes": 30 * MB,
    }


def test_no_exporter_data_claims_no_memory(mixed_result: Any, stack: Any) -> None:
    mixed_result.testid = "never-watched"
    with PrometheusClient(stack.prometheus_url) as client:
        assert target_memory_values(mixed_result, client) == []


def test_the_summary_is_stamped_at_the_run_end(mixed_result: Any, stack: Any) -> None:
    with PrometheusClient(stack.prometheus_url) as client:
        sent, detail = push_gate_summary(
            mixed_result, stack.remote_write_url, client, {"branch": "main"}
        )
    assert sent, detail
    selector = f'scenario="{mixed_result.scenario}",sli="objective:errors",branch="main"'
    (series,) = prom_query(stack.prometheus_url, f"perfstack_run_summary{{{selector}}}[10m]")
    ((stamp, value),) = series["values"]
    assert float(stamp) == pytest.approx(mixed_result.end, abs=0.001)
    assert float(value) == 0.1
