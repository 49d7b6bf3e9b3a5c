"""The overview's per-name table gives a run's own figures, whatever the time range: after a
20 s run viewed over 30 minutes, each name's count, rate, p95 and error ratio are the run
record's exact values."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from perfstack.mixin import overview
from perfstack.mixin.queries import substitute
from tests.loadgen.locust_runs import finished_record, run_perfstack, write_locustfile

LOCUSTFILE = """
from locust import HttpUser, constant, task


class Mixed(HttpUser):
    wait_time = constant(0.02)

    @task(3)
    def items(self):
        self.client.get("/api/items")

    @task
    def flaky(self):
        self.client.get("/api/flaky")
"""
THIRTY_MINUTES = 1800


def _by_name(url: str, expr: str, at: float) -> dict[str, float]:
    body = httpx.get(f"{url}/api/v1/query", params={"query": expr, "time": at}, timeout=10).json()
    assert body["status"] == "success", body
    return {s["metric"]["name"]: float(s["value"][1]) for s in body["data"]["result"]}


@pytest.mark.slow(seconds=25)
def test_per_name_figures_are_the_runs_own_over_a_30_minute_range(
    stack: Any, demo_target: Any, tmp_path: Path
) -> None:
    testid = f"per-name-{tmp_path.name}"[:60]
    state = tmp_path / "state"
    result = run_perfstack(
        write_locustfile(tmp_path, LOCUSTFILE), demo_target.url, state, stack.prometheus_url,
        "-u", "4", "-t", "20s", "--testid", testid,
    )  # fmt: skip
    record = finished_record(state, testid, result)
    assert record.duration is not None
    at = time.time() + 2
    columns = {
        name: substitute(target["expr"], [testid], range_seconds=THIRTY_MINUTES)
        for name, (target, _unit) in overview._per_name_columns().items()
    }
    figures = {column: _by_name(stack.prometheus_url, expr, at) for column, expr in columns.items()}
    assert set(figures["Requests"]) == set(record.names) == {"/api/items", "/api/flaky"}
    for name, stats in record.names.items():
        assert figures["Requests"][name] == stats.requests
        assert figures["Requests/s"][name] == pytest.approx(
            stats.requests / record.duration, rel=0.01
        )
        assert figures["p95"][name] == pytest.approx(stats.percentiles["p95"], rel=0.001)
        assert figures["Error ratio"][name] == pytest.approx(stats.failures / stats.requests)
