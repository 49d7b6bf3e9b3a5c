"""Fixtures for the gate's tests: exact fixture data written into the real Prometheus by
remote write (the same encoder the generators use), and run records to judge."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import pytest

from perfstack.core.record import RunRecord, write_record
from perfstack.push.remote_write import (
    CONTENT_HEADERS,
    compress,
    encode_write_request,
    sorted_labels,
)

Samples = Sequence[tuple[float, float]]  # (unix seconds, value)


def remote_write(url: str, series: Sequence[tuple[dict[str, str], Samples]]) -> None:
    """Write samples with exact timestamps; fails the test when Prometheus refuses them."""
    encoded = [
        (sorted_labels(labels), [(value, round(ts * 1000)) for ts, value in samples])
        for labels, samples in series
    ]
    response = httpx.post(
        url, content=compress(encode_write_request(encoded)), headers=CONTENT_HEADERS, timeout=10
    )
    assert response.status_code in (200, 204), response.text


@pytest.fixture
def testid() -> str:
    return f"gate-{uuid.uuid4().hex[:10]}"


def generator_of(metric: str) -> str:
    """The `generator` label the process that pushes `metric` puts on it."""
    if metric.startswith("loadgen_ws_"):
        return "ws"
    if metric.startswith("exporter_"):
        return "exporter"
    return "locust"


# the summary of a WebSocket generator that ran beside Locust and produced nothing
IDLE_WS_SUMMARY = {"mode": "echo", "messages": {"sent": 0}, "connections": {"attempts": 0}}


class RunData:
    """A finished run in the past: its record and helpers to write its metrics."""

    def __init__(
        self, stack: object, testid: str, duration: float = 20.0, scenario: str = "gatetest"
    ) -> None:
        self.stack = stack
        self.testid = testid
        self.scenario = scenario
        self.end = time.time() - 30.0
        self.start = self.end - duration
        self.state_dir: Path = stack.state_dir  # type: ignore[attr-defined]

    def labels(self, metric: str, **extra: str) -> dict[str, str]:
        return {
            "__name__": metric,
            "testid": self.testid,
            "scenario": self.scenario,
            "generator": generator_of(metric),
            "instance": "test:1",
            **extra,
        }

    def counter(
        self, metric: str, total: float, points: int = 11, **labels: str
    ) -> tuple[dict[str, str], Samples]:
        """A counter rising linearly from 0 at start to `total` at end."""
        step = (self.end - self.start) / (points - 1)
        return self.labels(metric, **labels), [
            (self.start + i * step, total * i / (points - 1)) for i in range(points)
        ]

    def gauge(
        self, metric: str, value: float, points: int = 11, **labels: str
    ) -> tuple[dict[str, str], Samples]:
        step = (self.end - self.start) / (points - 1)
        return self.labels(metric, **labels), [
            (self.start + i * step, value) for i in range(points)
        ]

    def write(self, *series: tuple[dict[str, str], Samples]) -> None:
        remote_write(self.stack.remote_write_url, series)  # type: ignore[attr-defined]

    def record(self, end: float | str | None = "default", **fields: object) -> RunRecord:
        record = RunRecord(
            testid=self.testid,
            scenario=self.scenario,
            generator="locust",
            target="http://127.0.0.1:1",
            start=self.start,
            end=self.end if end == "default" else end,  # type: ignore[arg-type]
            exit_status="ok",
            **fields,  # type: ignore[arg-type]
        )
        write_record(self.state_dir, record)
        return record


@pytest.fixture
def run_data(stack: object, testid: str) -> Callable[..., RunData]:
    def make(**kwargs: object) -> RunData:
        return RunData(stack, kwargs.pop("testid", testid), **kwargs)  # type: ignore[arg-type]

    return make


def write_rules(directory: Path, text: str, name: str = "rules.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def gate_cli(stack: object) -> Callable[..., int]:
    """Runs `perfstack <args>` in-process against the session stack; returns the exit code."""
    from perfstack.cli import main

    def run(*args: str | Path, prometheus: str | None = None) -> int:
        common = [
            "--state-dir",
            str(stack.state_dir),  # type: ignore[attr-defined]
            "--prometheus",
            prometheus or stack.prometheus_url,
        ]  # type: ignore[attr-defined]
        return main([str(a) for a in args] + common)

    return run


MIXED_RULES = """
name: mixed
objectives:
  - {name: requests, sli: request_count, pass: ">= 1"}
  - {name: throughput, sli: throughput, pass: ">= 1000rps", warn: ">= 1rps"}
  - {name: errors, sli: error_ratio, pass: "< 1%", key: true}
  - {name: ws rtt, sli: ws_rtt_p95, pass: "< 100ms"}
  - {name: broken | pipe, query: "sum(", pass: "< 1"}
  - {name: vs baseline, sli: request_count, relative: ">= -10%"}
"""


@pytest.fixture
def mixed_result(run_data: Callable[..., RunData], stack: object, tmp_path: Path):
    """A real evaluation with every verdict: PASS, WARN, FAIL, NO_DATA, ERROR, and a
    baseline comparison (500 requests against a baseline of 1000)."""
    import json

    from gate.baselines import FileBaseline
    from gate.evaluate import Gate
    from gate.prometheus import PrometheusClient
    from gate.rules import parse_rules
    from gate.window import from_record

    run = run_data()
    run.write(
        run.counter("loadgen_http_requests_total", 500, name="a", method="GET", status="200"),
        run.counter(
            "loadgen_http_request_failures_total", 50, name="a", method="GET", error_type="http_5xx"
        ),
    )
    # the WebSocket generator ran and produced nothing: its objective is NO_DATA, not skipped
    record = run.record(requests=500, failures=50, extra={"ws": IDLE_WS_SUMMARY})
    baseline = tmp_path / "main.json"
    baseline.write_text(
        json.dumps(
            {
                "format": "perfstack-baseline/1",
                "testid": "base-1",
                "objectives": {"vs baseline": {"value": 1000.0}},
            }
        )
    )
    with PrometheusClient(stack.prometheus_url) as client:  # type: ignore[attr-defined]
        gate = Gate(client, parse_rules(MIXED_RULES, "mixed.yaml"), FileBaseline(baseline))
        return gate.evaluate(from_record(record))
