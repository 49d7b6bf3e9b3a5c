"""The verdict goes back into Prometheus with the run's testid (docs/metrics.md, Gate verdicts)."""

from __future__ import annotations

import time

from gate.feedback import push_verdict
from perfstack.testing import prom_query
from tests.helpers import wait_until


def test_verdict_is_queryable_after_the_push(mixed_result, stack) -> None:
    before = time.time()
    assert push_verdict(mixed_result, stack.remote_write_url)
    after = time.time()
    selector = f'testid="{mixed_result.testid}",generator="gate"'

    def status_series() -> list:
        return prom_query(stack.prometheus_url, f"gate_objective_status{{{selector}}} == 1")

    statuses = {r["metric"]["objective"]: r["metric"]["status"] for r in wait_until(status_series)}
    assert statuses == {
        "requests": "PASS",
        "throughput": "WARN",
        "errors": "FAIL",
        "ws rtt": "NO_DATA",
        "broken | pipe": "ERROR",
        "vs baseline": "FAIL",
    }
    values = {
        r["metric"]["objective"]: float(r["value"][1])
        for r in prom_query(stack.prometheus_url, f"gate_objective_value{{{selector}}}")
    }
    assert values == {"requests": 500.0, "throughput": 25.0, "errors": 0.1, "vs baseline": 500.0}
    thresholds = prom_query(
        stack.prometheus_url, f'gate_objective_threshold{{{selector},objective="errors"}}'
    )
    assert [(r["metric"]["level"], float(r["value"][1])) for r in thresholds] == [("pass", 0.01)]
    change = prom_query(stack.prometheus_url, f"gate_objective_relative_change_ratio{{{selector}}}")
    assert [float(r["value"][1]) for r in change] == [-0.5]
    overall = prom_query(stack.prometheus_url, f"gate_overall_status{{{selector}}} == 1")
    assert [r["metric"]["status"] for r in overall] == ["ERROR"]
    score = prom_query(stack.prometheus_url, f"gate_score_ratio{{{selector}}}")
    assert float(score[0]["value"][1]) == mixed_result.score
    # the verdict alerts keep a run's newest push (docs/dashboards-and-alerts.md)
    pushed = prom_query(stack.prometheus_url, f"gate_push_timestamp_seconds{{{selector}}}")
    assert len(pushed) == 1
    assert before <= float(pushed[0]["value"][1]) <= after


def test_a_failed_push_is_reported_not_raised(mixed_result) -> None:
    from perfstack.testing import free_port

    assert (
        push_verdict(mixed_result, f"http://127.0.0.1:{free_port()}/api/v1/write", timeout=1.0)
        is False
    )
