"""The history dashboard's queries on real data: twelve runs' summaries and one change point
(the run-history contract's series) written into the session Prometheus by remote write
at past timestamps, then every panel and annotation query run as Grafana would, with the
values each must show checked."""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

import httpx
import pytest

from perfstack.mixin import history
from perfstack.mixin.queries import PanelQuery, annotation_queries, panel_queries, substitute
from tests.gate.conftest import remote_write

CLIENT = httpx.Client(timeout=10)  # one connection for the many queries
RUNS = 12
SPACING = 180  # seconds between runs: all twelve within the last 40 minutes
STEP = 60
BAND = "1h"
RANGE_SECONDS = 3600
CHANGE_AT = 7  # the 8th run is the first after the shift
STANDARD = [sli for sli, _title, _unit in history.SLIS]
OBJECTIVE = "objective:p95 latency"


def series_values(sli: str, name: str) -> list[float]:
    if (sli, name) == ("latency_p95_seconds", ""):
        return [0.2] * CHANGE_AT + [0.3] * (RUNS - CHANGE_AT)  # +50% from run 8 on
    base = 1.0 + STANDARD.index(sli) if sli in STANDARD else 7.5
    return [base + i / 100 + (0.5 if name else 0) for i in range(RUNS)]


SERIES = [(sli, "") for sli in [*STANDARD, OBJECTIVE]] + [("latency_p95_seconds", "/api/items")]


def quantile(q: float, values: list[float]) -> float:
    """quantile_over_time's definition: linear between the closest ranks."""
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@pytest.fixture(scope="module")
def history_data(stack: Any) -> dict[str, Any]:
    scenario = f"history-{uuid.uuid4().hex[:8]}"
    now = time.time()
    first = now - 40 * 60
    ends = [first + i * SPACING for i in range(RUNS)]
    testids = [f"{scenario}-run{i + 1:02d}" for i in range(RUNS)]
    writes: list[tuple[dict[str, str], list[tuple[float, float]]]] = []
    for sli, name in SERIES:
        labels = {"__name__": history.SUMMARY, "scenario": scenario, "sli": sli, "name": name}
        writes.append((labels, list(zip(ends, series_values(sli, name), strict=True))))
    for testid, end in zip(testids, ends, strict=True):
        labels = {"__name__": history.RUN_INFO, "scenario": scenario, "testid": testid}
        writes.append((labels, [(end, 1.0)]))
        # the gate's verdict of each run carries the objective's thresholds (gate/feedback.py)
        for level, limit in (("pass", 0.25), ("warn", 0.5)):
            verdict = {"scenario": scenario, "testid": testid, "generator": "gate"}
            labels = {"__name__": history.GATE_THRESHOLD, **verdict, "level": level}
            writes.append(({**labels, "objective": "p95 latency"}, [(end + 2, limit)]))
    change = {
        "scenario": scenario,
        "sli": "latency_p95_seconds",
        "name": "",
        "direction": "worse",
        "run_before": testids[CHANGE_AT - 1],
        "run_after": testids[CHANGE_AT],
    }
    detected = now - 60
    writes.append(({"__name__": history.CHANGE, **change}, [(detected, 0.5)]))
    writes.append(({"__name__": history.P_VALUE, **change}, [(detected, 0.001)]))
    remote_write(stack.remote_write_url, writes)
    return {
        "scenario": scenario,
        "ends": ends,
        "testids": testids,
        "now": now,
        # as Prometheus returns them: an empty label is no label
        "change": {k: v for k, v in change.items() if v},
    }


def run(url: str, query: PanelQuery, data: dict[str, Any]) -> list[dict[str, Any]]:
    expr = substitute(
        query.expr,
        [],
        range_seconds=RANGE_SECONDS,
        interval=f"{STEP}s",
        filters={"scenario": data["scenario"], "name": ".*", "band": BAND},
    )
    end = data["now"] + 5
    if query.instant:
        params: dict[str, Any] = {"query": expr, "time": end}
        path = "query"
    else:
        # steps not aligned with the runs' ends, as Grafana's (aligned to the step) would
        # rarely be: a sample on a step's edge would sit in two inclusive windows
        start = data["ends"][0] - STEP + 7.5
        params = {"query": expr, "start": start, "end": end, "step": STEP}
        path = "query_range"
    body = CLIENT.get(f"{url}/api/v1/{path}", params=params).json()
    assert body["status"] == "success", f"{query.where()}: {body.get('error')}\n{expr}"
    return list(body["data"]["result"])


def by_key(result: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    return {(s["metric"].get("sli", ""), s["metric"].get("name", "")): s for s in result}


def test_every_history_query_returns_data(stack: Any, history_data: dict[str, Any]) -> None:
    dashboard = history.build()
    queries = [*panel_queries(dashboard), *annotation_queries(dashboard)]
    assert len(queries) >= 50
    empty = [q.where() for q in queries if not run(stack.prometheus_url, q, history_data)]
    assert not empty, empty


def _panel(title: str) -> list[PanelQuery]:
    found = [q for q in panel_queries(history.build()) if q.panel == title]
    assert found, title
    return found


@pytest.mark.parametrize(("sli", "title"), [(s, t) for s, t, _u in history.SLIS])
def test_each_sli_panel_shows_every_run_once_in_order_and_the_band(
    stack: Any, history_data: dict[str, Any], sli: str, title: str
) -> None:
    runs, *bands = _panel(title)
    result = by_key(run(stack.prometheus_url, runs, history_data))
    names = ["", "/api/items"] if sli == "latency_p95_seconds" else [""]
    assert sorted(result) == sorted((sli, n) for n in names)
    for name in names:
        values = [float(v) for _t, v in result[(sli, name)]["values"]]
        assert values == pytest.approx(series_values(sli, name))
    for band_query, q in zip(bands, (0.1, 0.5, 0.9), strict=True):
        line = by_key(run(stack.prometheus_url, band_query, history_data))[(sli, "")]
        # at the end the trailing hour holds all twelve runs
        assert float(line["values"][-1][1]) == pytest.approx(quantile(q, series_values(sli, "")))


def test_the_objectives_panel_shows_the_gate_objectives(
    stack: Any, history_data: dict[str, Any]
) -> None:
    runs, *_bands, thresholds = _panel("Gate objectives")
    result = by_key(run(stack.prometheus_url, runs, history_data))
    assert list(result) == [(OBJECTIVE, "")]
    values = [float(v) for _t, v in result[(OBJECTIVE, "")]["values"]]
    assert values == pytest.approx(series_values(OBJECTIVE, ""))
    lines = run(stack.prometheus_url, thresholds, history_data)
    last = {s["metric"]["level"]: float(s["values"][-1][1]) for s in lines}
    assert last == {"pass": 0.25, "warn": 0.5}
    assert {s["metric"]["objective"] for s in lines} == {"p95 latency"}


def test_last_run_against_the_history(stack: Any, history_data: dict[str, Any]) -> None:
    columns = {q.ref_id: q for q in _panel("Last run against the history")}
    last, count, p10, median, p90, change = (columns[r] for r in "ABCDEF")
    url = stack.prometheus_url
    answers = {
        ref: by_key(run(url, query, history_data))
        for ref, query in zip("ABCDEF", (last, count, p10, median, p90, change), strict=True)
    }
    for sli, name in SERIES:
        values = series_values(sli, name)

        def value(ref: str, key: tuple[str, str] = (sli, name)) -> float:
            return float(answers[ref][key]["value"][1])

        assert value("A") == pytest.approx(values[-1])
        assert value("B") == RUNS
        assert value("C") == pytest.approx(quantile(0.1, values))
        assert value("D") == pytest.approx(quantile(0.5, values))
        assert value("E") == pytest.approx(quantile(0.9, values))
        assert value("F") == pytest.approx(values[-1] / quantile(0.5, values) - 1)
    # the shifted SLI: its newest run is 50% above its history's median
    assert float(answers["F"][("latency_p95_seconds", "")]["value"][1]) == pytest.approx(0.5)


def test_change_points_table_shows_the_runs_the_change_and_its_p_value(
    stack: Any, history_data: dict[str, Any]
) -> None:
    ratio, p_value = _panel("Change points")
    for query, expected in ((ratio, 0.5), (p_value, 0.001)):
        (series,) = run(stack.prometheus_url, query, history_data)
        assert series["metric"] == history_data["change"]
        assert float(series["value"][1]) == pytest.approx(expected)


def test_the_change_point_marker_sits_on_the_first_run_after_the_shift(
    stack: Any, history_data: dict[str, Any]
) -> None:
    annotations = {q.panel: q for q in annotation_queries(history.build())}
    (series,) = run(stack.prometheus_url, annotations["annotation Change points"], history_data)
    assert series["metric"] == history_data["change"]
    points = [(float(t), float(v)) for t, v in series["values"]]
    # one marker, in the step holding the 8th run's end (not at detection time)
    assert len(points) == 1
    at, value = points[0]
    assert at - STEP < history_data["ends"][CHANGE_AT] <= at and value == pytest.approx(0.5)

    runs = run(stack.prometheus_url, annotations["annotation Runs"], history_data)
    assert sorted(s["metric"]["testid"] for s in runs) == history_data["testids"]
    assert all(len(s["values"]) == 1 for s in runs)
