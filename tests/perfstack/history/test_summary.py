"""The run summary: the values a record yields, kept in the record, pushed to the real
Prometheus stamped at the run's end; and the summary of a real `perfstack demo` run."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pytest

from perfstack.core.record import NameStats, RunRecord, load_record
from perfstack.history.summary import (
    SummaryValue,
    attach_summary,
    push_run_summary,
    record_values,
    summary_of,
)
from tests.helpers import prom_query
from tests.perfstack.history.histories import make_record, unique_scenario


def _http_record() -> RunRecord:
    record = RunRecord(
        testid="t1",
        scenario="checkout",
        generator="locust",
        target="http://127.0.0.1:1",
        start=1000.0,
        end=1010.0,
        requests=200,
        failures=10,
        percentiles={"p50": 0.02, "p90": 0.03, "p95": 0.04, "p99": 0.09, "max": 0.2},
        names={
            "items": NameStats(150, 0, {"p50": 0.01, "p95": 0.03, "p99": 0.05}),
            "cart": NameStats(50, 10, {"p50": 0.05, "p95": 0.08, "p99": 0.2}),
        },
        extra={"ws": {"rtt_seconds": {"p50": 0.004, "p95": 0.007}}},
    )
    return record


def _as_dict(values: list[SummaryValue]) -> dict[tuple[str, str], float]:
    return {(v.sli, v.name): v.value for v in values}


def test_an_http_record_yields_the_run_and_per_name_values() -> None:
    values = _as_dict(record_values(_http_record()))
    assert values[("latency_p50_seconds", "")] == 0.02
    assert values[("latency_p95_seconds", "")] == 0.04
    assert values[("latency_p99_seconds", "")] == 0.09
    assert values[("error_ratio", "")] == pytest.approx(10 / 200)
    assert values[("throughput_rps", "")] == pytest.approx(200 / 10)
    assert values[("error_ratio", "cart")] == pytest.approx(10 / 50)
    assert values[("throughput_rps", "items")] == pytest.approx(150 / 10)
    assert values[("latency_p95_seconds", "cart")] == 0.08
    assert values[("ws_rtt_p95_seconds", "")] == 0.007
    assert len(values) == 5 * 3 + 1


def test_a_run_without_requests_claims_no_latency_nor_zero_throughput() -> None:
    record = make_record("empty", 0, 1000.0)
    assert record_values(record) == []


def test_the_record_keeps_the_summary_it_will_push() -> None:
    record = _http_record()
    values = attach_summary(record, {"branch": "main"})
    stored = RunRecord.from_json(json.loads(json.dumps(record.to_json())))
    labels, kept = summary_of(stored)
    assert labels == {"branch": "main"}
    assert kept == values


def _samples(prometheus_url: str, expr: str) -> list[dict[str, Any]]:
    return prom_query(prometheus_url, expr)


def test_the_summary_reaches_prometheus_stamped_at_the_run_end(stack: Any) -> None:
    scenario = unique_scenario("summary")
    record = _http_record()
    record.scenario = scenario
    record.end = round(time.time() - 30, 3)
    record.start = record.end - 10
    sent, detail = push_run_summary(record, stack.prometheus_url, {"branch": "main"})
    assert sent, detail
    info = _samples(stack.prometheus_url, f'perfstack_run_info{{scenario="{scenario}"}}[5m]')
    assert [s["metric"]["testid"] for s in info] == ["t1"]
    assert info[0]["metric"]["branch"] == "main"
    assert float(info[0]["values"][0][0]) == pytest.approx(record.end, abs=0.001)
    p95 = _samples(
        stack.prometheus_url,
        f'perfstack_run_summary{{scenario="{scenario}",sli="latency_p95_seconds",name="cart"}}[5m]',
    )
    assert len(p95) == 1 and "testid" not in p95[0]["metric"]
    ((stamp, value),) = p95[0]["values"]
    assert float(stamp) == pytest.approx(record.end, abs=0.001)
    assert float(value) == 0.08
    every = f'perfstack_run_summary{{scenario="{scenario}"}}[5m]'
    total = _samples(stack.prometheus_url, f"count(count_over_time({every}))")
    assert float(total[0]["value"][1]) == 16


def test_a_push_to_nowhere_says_so_and_raises_nothing() -> None:
    sent, detail = push_run_summary(_http_record(), "http://127.0.0.1:9", timeout=1.0)
    assert not sent
    assert "refused" in detail.lower() or "error" in detail.lower()
    sent, detail = push_run_summary(_http_record(), "ftp://example")
    assert not sent and "expected http(s)" in detail


def test_a_real_demo_run_keeps_and_pushes_its_summary(demo_run: Any) -> None:
    """`perfstack demo` = perfstack run (HTTP + WebSocket) + exporter + gate check."""
    record = load_record(demo_run.state_dir, demo_run.testid)
    _, values = summary_of(record)
    kept = _as_dict(values)
    assert kept[("throughput_rps", "")] == pytest.approx(record.requests / record.duration)
    assert kept[("latency_p95_seconds", "")] == record.percentiles["p95"]
    assert kept[("ws_rtt_p95_seconds", "")] == record.extra["ws"]["rtt_seconds"]["p95"]
    selector = f'{{scenario="{record.scenario}"}}'
    info = _samples(demo_run.prometheus_url, f"perfstack_run_info{selector}[1h]")
    assert demo_run.testid in {s["metric"]["testid"] for s in info}
    (run_info,) = [s for s in info if s["metric"]["testid"] == demo_run.testid]
    end_stamp = float(run_info["values"][-1][0])
    assert end_stamp == pytest.approx(record.end, abs=0.001)
    slis = {
        s["metric"]["sli"]
        for s in _samples(demo_run.prometheus_url, f"perfstack_run_summary{selector} @ {end_stamp}")
    }
    # the run's own values, the gate's objectives and the exporter's view of the target
    assert {"latency_p95_seconds", "ws_rtt_p95_seconds", "throughput_rps"} <= slis
    assert any(sli.startswith("objective:") for sli in slis)
    assert "target_peak_rss_bytes" in slis
    peak = _samples(
        demo_run.prometheus_url,
        f'perfstack_run_summary{{scenario="{record.scenario}",sli="target_peak_rss_bytes"}}'
        f" @ {end_stamp}",
    )
    assert math.isfinite(float(peak[0]["value"][1])) and float(peak[0]["value"][1]) > 1e6


def test_a_pytest_record_yields_its_benchmark_means() -> None:
    record = make_record("suite", 0, 1000.0)
    record.generator = "pytest"
    record.requests = 3  # tests, not requests: no latency or throughput claimed
    record.extra["benchmarks"] = {
        "test_sort": {"mean": 0.0012, "median": 0.0011},
        "test_parse": {"mean": 0.05},
        "test_broken": {"median": 0.1},
    }
    assert record_values(record) == [
        SummaryValue("benchmark_mean_seconds", "test_parse", 0.05),
        SummaryValue("benchmark_mean_seconds", "test_sort", 0.0012),
    ]
