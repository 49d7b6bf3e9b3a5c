"""Reading a scenario's history: from Prometheus, from local records for the runs it
lacks, filtered by labels, and the same after Prometheus restarts on its data."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from gate.sources import history_dir
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.history.store import HistoryQuery, load_history
from perfstack.history.summary import push_run_summary
from perfstack.testing.prometheus import PrometheusProcess
from tests.helpers import wait_until
from tests.perfstack.history.histories import push_history, unique_scenario

P95 = "latency_p95_seconds"


def _query(prometheus_url: str, scenario: str, state_dir: Path, **extra: Any) -> HistoryQuery:
    return HistoryQuery(scenario, 3600.0, prometheus_url, state_dir, **extra)


def _p95s(history: Any) -> list[float]:
    return [run.values[(P95, "")] for run in history.runs]


def test_runs_come_back_in_order_with_their_testids_and_values(stack: Any, tmp_path: Path) -> None:
    scenario = unique_scenario("store")
    values = [0.100, 0.110, 0.095, 0.150]
    records = push_history(stack.prometheus_url, scenario, [{P95: v} for v in values])
    history = load_history(_query(stack.prometheus_url, scenario, tmp_path, source="prometheus"))
    assert [run.testid for run in history.runs] == [r.testid for r in records]
    assert _p95s(history) == values
    assert [run.end for run in history.runs] == pytest.approx([r.end for r in records], abs=1e-3)
    assert {run.source for run in history.runs} == {"prometheus"}


def test_victoria_metrics_gives_back_the_same_history_as_prometheus(
    stack: Any, victoria: Any, tmp_path: Path
) -> None:
    scenario = unique_scenario("stores")
    values = [{P95: 0.100, "throughput_rps": 50.0}, {P95: 0.120}, {P95: 0.095}]
    first_end = time.time() - 600
    for url in (stack.prometheus_url, victoria.url):
        push_history(url, scenario, values, labels={"branch": "main"}, first_end=first_end)
    push_history(victoria.url, scenario, [{P95: 0.3}], labels={"branch": "feature"})
    main = {"branch": "main"}

    def history(url: str) -> Any:
        return load_history(_query(url, scenario, tmp_path, source="prometheus", labels=main))

    # VictoriaMetrics makes new series searchable a moment after it took them (docs/stores.md)
    wait_until(lambda: len(history(victoria.url).runs) == 3, timeout=20, interval=0.5)
    histories = [history(url) for url in (stack.prometheus_url, victoria.url)]
    prometheus, victoria_metrics = ([(r.testid, r.end, r.values, r.labels) for r in h.runs]
                                    for h in histories)  # fmt: skip
    assert victoria_metrics == prometheus
    assert _p95s(histories[1]) == [0.100, 0.120, 0.095]
    assert histories[1].runs[0].values[("throughput_rps", "")] == 50.0


def test_a_label_filter_keeps_only_the_runs_carrying_it(stack: Any, tmp_path: Path) -> None:
    scenario = unique_scenario("labels")
    push_history(stack.prometheus_url, scenario, [{P95: 0.1}], labels={"branch": "main"})
    push_history(
        stack.prometheus_url,
        scenario,
        [{P95: 0.3}],
        labels={"branch": "feature"},
        first_end=time.time() - 30,
    )
    query = _query(stack.prometheus_url, scenario, tmp_path, labels={"branch": "feature"})
    history = load_history(query)
    assert _p95s(history) == [0.3]
    assert history.runs[0].labels == {"branch": "feature"}


def test_local_records_fill_in_the_runs_prometheus_lacks(stack: Any, tmp_path: Path) -> None:
    scenario = unique_scenario("local")
    records = push_history(None, scenario, [{P95: 0.1}, {P95: 0.2}, {P95: 0.3}], state_dir=tmp_path)
    # only the last run reached Prometheus (the others' pushes failed, say)
    sent, detail = push_run_summary(records[-1], stack.prometheus_url)
    assert sent, detail
    history = load_history(_query(stack.prometheus_url, scenario, tmp_path))
    assert _p95s(history) == [0.1, 0.2, 0.3]
    assert [run.source for run in history.runs] == ["local", "local", "both"]


def test_without_prometheus_the_local_records_are_the_history(tmp_path: Path) -> None:
    scenario = unique_scenario("offline")
    push_history(None, scenario, [{P95: 0.1}, {P95: 0.2}], state_dir=tmp_path)
    history = load_history(_query("http://127.0.0.1:9", scenario, tmp_path, timeout=2.0))
    assert _p95s(history) == [0.1, 0.2]
    assert history.notes and "local run records only" in history.notes[0]
    with pytest.raises(PerfstackError) as caught:
        load_history(_query("http://127.0.0.1:9", scenario, tmp_path, source="prometheus"))
    assert caught.value.exit_code == ExitCode.PROMETHEUS_UNAVAILABLE


def test_the_history_survives_a_prometheus_restart(tmp_path: Path) -> None:
    prometheus = PrometheusProcess(tmp_path / "prometheus").start()
    try:
        scenario = unique_scenario("restart")
        values = [0.1, 0.12, 0.11]
        push_history(prometheus.url, scenario, [{P95: v} for v in values])
        query = _query(prometheus.url, scenario, tmp_path / "none", source="prometheus")
        before = load_history(query)
        prometheus.stop()
        prometheus.start()
        after = load_history(query)
    finally:
        prometheus.stop()
    assert _p95s(after) == values
    assert [(r.testid, r.end) for r in after.runs] == [(r.testid, r.end) for r in before.runs]


def test_local_gate_results_add_objective_values_and_their_direction(tmp_path: Path) -> None:
    scenario = unique_scenario("objectives")
    records = push_history(None, scenario, [{P95: 0.1}, {P95: 0.1}], state_dir=tmp_path)
    for record, rps in zip(records, (120.0, 80.0), strict=True):
        result = {
            "testid": record.testid,
            "objectives": [
                {"name": "rps", "value": rps, "threshold": {"pass": "> 100"}},
                {"name": "p95", "value": 0.1, "threshold": {"pass": "< 500ms"}},
                {"name": "no data", "value": None, "threshold": {"pass": "< 1"}},
            ],
        }
        path = history_dir(tmp_path) / f"{record.testid}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result))
    history = load_history(_query("http://127.0.0.1:9", scenario, tmp_path, source="local"))
    assert [run.values[("objective:rps", "")] for run in history.runs] == [120.0, 80.0]
    assert ("objective:no data", "") not in history.runs[0].values
    assert history.lower_is_worse == {"objective:rps"}
