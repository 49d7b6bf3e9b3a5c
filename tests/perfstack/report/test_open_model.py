"""The report's open-model part (perfstack/report/open_model.py and the open-model charts
of panels.py) on real runs pushed to the session Prometheus: an arrival-rate run whose pool
is too small (one user for 4 iterations/s that each hold it 375 ms, so every other slot is
dropped, derived from the schedule as in tests/loadgen/locust/test_tickets.py), its page
opened in headless Chromium; a paced closed run (corrected latency, no schedule); and which
figures a record gets, on records alone. The closed run's page is checked in
test_report.py (`test_run_without_websocket_or_exporter_shows_not_measured`)."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

from perfstack.core.identity import new_testid
from perfstack.core.record import PERCENTILE_KEYS, RunRecord
from perfstack.core.settings import StackSettings
from perfstack.report.open_model import (
    LatencyPair,
    applies,
    arrival_figures,
    latency_pairs,
    saturated_text,
)
from perfstack.report.panels import OPEN_MODEL, chart_specs
from tests.loadgen.locust.test_tickets import BUSY_LOCUSTFILE
from tests.loadgen.locust.test_tickets import SATURATING_DROPPED as DROPPED
from tests.loadgen.locust.test_tickets import SATURATING_SCHEDULED as SCHEDULED
from tests.loadgen.locust.test_tickets import SATURATING_SECONDS as SECONDS
from tests.loadgen.locust_runs import (
    PACED_LOCUSTFILE,
    finished_record,
    run_perfstack,
    write_locustfile,
)
from tests.perfstack.report.test_report import Opened, open_report

ARRIVAL_CHARTS = {"arrival_rate", "dropped_iterations", "dropped_ratio", "generator_saturated"}
CORRECTED_CHARTS = {"latency_corrected"}


@pytest.fixture(scope="module")
def open_page(
    stack: StackSettings, demo_target: Any, tmp_path_factory: pytest.TempPathFactory
) -> Opened:
    """The arrival-rate run and the report its `perfstack run --report FILE` wrote."""
    directory = tmp_path_factory.mktemp("open-report")
    testid = new_testid("report-open")
    locustfile = write_locustfile(directory, BUSY_LOCUSTFILE)
    scenario = directory / "open.yaml"
    scenario.write_text(
        f"stages:\n  - {{kind: arrival, rate: 4/s, duration: {SECONDS}s, max_users: 1}}\n"
    )
    out = directory / "open.html"
    result = run_perfstack(
        locustfile, demo_target.url, stack.state_dir, stack.prometheus_url,
        "--scenario", str(scenario), "--testid", testid, "--report", str(out),
    )  # fmt: skip
    record = finished_record(stack.state_dir, testid, result)
    assert f"report: {out}" in result.stdout, result.stdout + result.stderr
    return open_report(out, record)


def lines_of(opened: Opened, chart: str) -> dict[str, tuple[list[float], list[float]]]:
    return {line["label"]: (line["x"], line["y"]) for line in opened.charts[chart]["lines"]}


@pytest.mark.slow(seconds=35)  # the module's run: about 30 s on a busy machine
@pytest.mark.timeout(150)
def test_the_open_run_page_has_every_open_model_chart_with_points(open_page: Opened) -> None:
    record = open_page.record
    assert (record.extra["arrival"]["scheduled"], record.dropped_iterations) == (
        SCHEDULED,
        DROPPED,
    )
    assert DROPPED == SCHEDULED // 2
    assert open_page.visit.console_errors == []
    assert open_page.visit.outside_requests == []
    charts = open_page.charts
    assert set(charts) >= ARRIVAL_CHARTS | CORRECTED_CHARTS
    for name in ARRIVAL_CHARTS | CORRECTED_CHARTS:
        assert charts[name]["lines"], name
        for line in charts[name]["lines"]:
            assert line["x"] and all(math.isfinite(v) for v in line["y"]), (name, line["label"])
    assert "section-open-model" in open_page.path.read_text()
    # the arrival stage is marked by its rate on the arrival chart
    assert open_page.visit.value["marks"]["arrival_rate"] == ["stage 1: arrival, 4/s"]


@pytest.mark.timeout(150)
def test_the_charts_show_half_the_iterations_dropped(open_page: Opened) -> None:
    testid = open_page.record.testid
    arrival = lines_of(open_page, "arrival_rate")
    assert set(arrival) == {f"{testid} requested", f"{testid} achieved"}
    requested_x, requested = arrival[f"{testid} requested"]
    achieved_x, achieved = arrival[f"{testid} achieved"]
    dropped_x, dropped = lines_of(open_page, "dropped_iterations")[testid]
    assert requested_x == achieved_x == dropped_x
    for at, want, got, lost in zip(requested_x, requested, achieved, dropped, strict=True):
        assert got + lost == pytest.approx(want), at  # one rule window, the same samples
    assert max(dropped) > 0
    # the 1-minute window holds the whole run at its end: half of what was asked started
    assert achieved[-1] / requested[-1] == pytest.approx(1 - DROPPED / SCHEDULED, abs=0.1)
    (_, ratio), *others = lines_of(open_page, "dropped_ratio").values()
    assert others == []  # the dashboard's rule-file level line is not charted
    assert ratio[-1] == pytest.approx(DROPPED / SCHEDULED, abs=0.1)
    # the run fell behind its schedule for 10 s: the generator's saturated gauge turned 1
    saturated = lines_of(open_page, "generator_saturated")
    locust = [values for label, (_, values) in saturated.items() if label.startswith("locust")]
    assert locust, saturated.keys()
    assert max(v for values in locust for v in values) == 1.0
    assert set(v for values in locust for v in values) <= {0.0, 1.0}


@pytest.mark.timeout(150)
def test_observed_and_corrected_latency_are_charted_side_by_side(open_page: Opened) -> None:
    testid = open_page.record.testid
    latency = lines_of(open_page, "latency_corrected")
    assert set(latency) == {
        f"{testid} p{q} {kind}" for q in (95, 99) for kind in ("observed", "corrected")
    }
    for label, (_, values) in latency.items():
        assert values and min(values) > 0, label
    # observed only where corrected is (the panel's `and on (testid)`)
    for q in (95, 99):
        observed_x = latency[f"{testid} p{q} observed"][0]
        assert set(observed_x) <= set(latency[f"{testid} p{q} corrected"][0])


@pytest.mark.timeout(150)
def test_the_summary_has_the_records_exact_open_model_figures(open_page: Opened) -> None:
    record = open_page.record
    arrival = record.extra["arrival"]
    summary = {row["_head"]: row for row in open_page.tables["summary"]}

    def value(name: str) -> str:
        return str(summary[name][name][1])

    assert value("iterations dropped") == str(record.dropped_iterations) == str(DROPPED)
    assert value("iterations scheduled") == str(SCHEDULED)
    assert value("iterations started") == str(SCHEDULED - DROPPED) == str(arrival["started"])
    assert float(value("arrival rate requested")) == arrival["requested_rate"] == 4.0
    assert float(value("arrival rate achieved")) == arrival["achieved_rate"]
    assert arrival["achieved_rate"] == pytest.approx((SCHEDULED - DROPPED) / SECONDS)
    assert summary["arrival rate achieved"]["arrival rate achieved"][0] == (
        f"{arrival['achieved_rate']:.2f}/s (50.0% of requested)"
    )
    assert float(value("dropped ratio (dropped / scheduled)")) == DROPPED / SCHEDULED
    assert value("user pool (max users)") == "1"
    assert record.generator_saturated
    assert summary["generator saturated"]["generator saturated"][0] == (
        "yes (behind its arrival rate): latencies are unreliable"
    )
    # the run's exact percentiles, observed beside corrected, as the record has them
    rows = {row["_name"]: row for row in open_page.tables["latency-corrected"]}
    assert list(rows) == list(PERCENTILE_KEYS.values())
    for key, row in rows.items():
        assert float(row["observed"][1]) == record.percentiles[key], key
        assert float(row["corrected"][1]) == record.corrected_percentiles[key], key
    assert float(rows["p99"]["corrected"][1]) >= float(rows["p99"]["observed"][1]) > 0


@pytest.mark.slow(seconds=20)
@pytest.mark.timeout(120)
def test_a_paced_closed_run_gets_the_corrected_parts_only(
    stack: StackSettings, demo_target: Any, tmp_path: Path
) -> None:
    testid = new_testid("report-paced")
    locustfile = write_locustfile(tmp_path, PACED_LOCUSTFILE)
    out = tmp_path / "paced.html"
    result = run_perfstack(
        locustfile, demo_target.url, stack.state_dir, stack.prometheus_url,
        "-u", "2", "-r", "2", "-t", "5s", "--testid", testid, "--report", str(out),
    )  # fmt: skip
    record = finished_record(stack.state_dir, testid, result)
    assert record.corrected_percentiles and "arrival" not in record.extra
    page = out.read_text()
    drawn = set(re.findall(r'<div class="chart" id="chart-(\w+)"', page))
    assert drawn >= CORRECTED_CHARTS
    assert not ARRIVAL_CHARTS & drawn
    assert not any(f'data-chart="{key}"' in page for key in ARRIVAL_CHARTS)  # not even a note
    assert 'id="section-open-model"' in page
    assert "iterations dropped" not in page and "arrival rate requested" not in page
    for key, corrected in record.corrected_percentiles.items():
        assert f'data-name="{key}"><th>{key}</th>' in page
        assert f'data-field="corrected" data-value="{corrected!r}"' in page


def record(**fields: Any) -> RunRecord:
    return RunRecord(
        testid="t-1", scenario="s", generator="locust", target="http://127.0.0.1:1",
        start=1.0, end=2.0, **fields,
    )  # fmt: skip


def test_each_kind_of_run_gets_only_the_open_model_charts_it_has() -> None:
    specs = [spec for spec in chart_specs() if spec.section == OPEN_MODEL]
    assert {spec.key for spec in specs} == ARRIVAL_CHARTS | CORRECTED_CHARTS

    def kept(run: RunRecord) -> set[str]:
        return {spec.key for spec in specs if applies(spec, run)}

    closed = record(percentiles={"p99": 0.1})
    paced = record(percentiles={"p99": 0.1}, corrected_percentiles={"p99": 0.3})
    arrival = record(corrected_percentiles={"p99": 0.3}, extra={"arrival": {"scheduled": 4}})
    assert kept(closed) == set()
    assert kept(paced) == CORRECTED_CHARTS
    assert kept(arrival) == ARRIVAL_CHARTS | CORRECTED_CHARTS
    # every other chart is every run's
    assert all(applies(spec, closed) for spec in chart_specs() if spec.section != OPEN_MODEL)
    assert arrival_figures(closed) == [] == latency_pairs(closed)
    assert saturated_text(closed) == "no"


def test_a_stopped_run_and_an_older_record_show_only_what_they_have() -> None:
    stopped = record(
        dropped_iterations=3,
        generator_saturated=True,
        extra={"arrival": {"requested_rate": 10.0, "scheduled": 40, "planned": 100,
                           "started": 37, "saturated": False}},
    )  # fmt: skip
    figures = {figure.name: (figure.text, figure.value) for figure in arrival_figures(stopped)}
    assert figures == {
        "arrival rate requested": ("10.00/s", 10.0),
        "iterations scheduled": ("40 of 100 planned", 40),
        "iterations started": ("37", 37),
        "iterations dropped": ("3", 3),
    }  # no achieved rate, ratio, shortfall or pool in this record: left out, not 0
    assert saturated_text(stopped) == "yes: latencies are unreliable"  # its CPU, not the rate
    corrected_only = record(
        percentiles={"p50": 0.01}, corrected_percentiles={"p50": 0.02, "p99": 0.5}
    )
    pairs = latency_pairs(corrected_only)
    assert pairs == [LatencyPair("p50", 0.01, 0.02), LatencyPair("p99", None, 0.5)]
    assert pairs[0].gap == pytest.approx(0.01) and pairs[1].gap is None
