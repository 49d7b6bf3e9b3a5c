"""`perfstack report` on real runs (the demo's, and a plain HTTP run) in a real
Prometheus, opened in headless Chromium with the network off."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from perfstack.core.identity import new_testid
from perfstack.core.paths import examples_dir
from perfstack.core.record import MethodStats, RunRecord, load_record, write_record
from perfstack.core.settings import StackSettings
from perfstack.report.data import default_rules
from perfstack.report.drawing import ALL_DRAWN, FIRST_VIEW
from perfstack.report.panels import OPEN_MODEL, chart_specs
from perfstack.testing.browser import PageVisit, visit
from tests.fixtures.demo_run import DemoRun
from tests.loadgen.locust_runs import finished_record, run_perfstack
from tests.perfstack.cli_runner import run_cli

# every chart drawn (the page draws those off screen lazily: asked to draw them all)
READY = ALL_DRAWN

# every Bokeh plot in the page: its name and each line's (renderer's) name and points
CHARTS = """(() => {
  const out = [];
  for (const doc of Bokeh.documents) {
    for (const m of doc.all_models) {
      if (m.renderers === undefined || m.x_range === undefined) continue;
      out.push({name: m.name, title: m.title ? m.title.text : "", lines: m.renderers.map(r => {
        const d = r.data_source.data;
        const get = k => d instanceof Map ? d.get(k) : d[k];
        return {label: r.name, x: Array.from(get("x")),
                y: Array.from(get("y"))};
      })});
    }
  }
  return out;
})()"""

# the HTML tables, cell by cell: {table id: [{field: [text, data-value]}]}
TABLES = """(() => {
  const out = {};
  for (const table of document.querySelectorAll("table[id]")) {
    out[table.id] = [...table.querySelectorAll("tbody tr")].map(tr => {
      const row = {_name: tr.dataset.name, _method: tr.dataset.method,
                   _head: (tr.querySelector("th") || {}).textContent};
      for (const td of tr.querySelectorAll("td[data-field]"))
        row[td.dataset.field] = [td.textContent, td.dataset.value];
      return row;
    });
  }
  out.not_measured = [...document.querySelectorAll(".not-measured")].map(p => p.textContent);
  return out;
})()"""

# each plot's x range as drawn
RANGES = """(() => {
  const out = {};
  for (const doc of Bokeh.documents)
    for (const m of doc.all_models)
      if (m.renderers !== undefined && m.x_range !== undefined)
        out[m.name] = [m.x_range.start, m.x_range.end];
  return out;
})()"""

# the text of the vertical marks (stage boundaries, abort) of each plot
MARKS = """(() => {
  const out = {};
  for (const doc of Bokeh.documents)
    for (const m of doc.all_models)
      if (m.renderers !== undefined && m.x_range !== undefined) {
        const r = m.x_range;  // only a mark inside the plot's x range is seen
        out[m.name] = m.center.filter(a => a.text !== undefined && a.x !== undefined
                                            && a.x >= r.start && a.x <= r.end)
                              .map(a => a.text);
      }
  return out;
})()"""

PAGE = f"({{charts: {CHARTS}, tables: {TABLES}, marks: {MARKS}, ranges: {RANGES}}})"

HTTP_CHARTS = {"requests_by_name", "latency_by_name", "active_users", "generator_cpu"}
WS_CHARTS = {"ws_open", "ws_messages", "ws_rtt"}
RESOURCE_CHARTS = {"target_rss", "target_cpu"}
OPEN_MODEL_CHARTS = {spec.key for spec in chart_specs() if spec.section == OPEN_MODEL}


@dataclass
class Opened:
    path: Path
    record: RunRecord
    visit: PageVisit

    @property
    def charts(self) -> dict[str, dict[str, Any]]:
        return {chart["name"]: chart for chart in self.visit.value["charts"]}

    @property
    def tables(self) -> dict[str, Any]:
        return dict(self.visit.value["tables"])


def report(stack: StackSettings, out: Path, testid: str, *extra: str) -> Path:
    result = run_cli(
        "report", "--testid", testid, "-o", out, "--state-dir", stack.state_dir,
        "--prometheus", stack.prometheus_url, *extra, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"report: {out}"
    return out


def open_report(path: Path, record: RunRecord) -> Opened:
    shot = path.with_suffix(".png")
    opened = Opened(path, record, visit(path, ready=READY, read=PAGE, screenshot=shot))
    assert shot.stat().st_size > 10_000  # a drawn page, not a blank one
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return opened


@pytest.fixture(scope="module")
def http_report(
    stack: StackSettings, demo_target: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[RunRecord, Path]:
    """A short HTTP-only run (no WebSocket generator, no exporter) and the report its
    `perfstack run --report FILE` wrote."""
    testid = new_testid("report")
    out = tmp_path_factory.mktemp("http-report") / "http.html"
    result = run_perfstack(
        examples_dir() / "locustfile_user_mix.py", demo_target.url, stack.state_dir,
        stack.prometheus_url, "--testid", testid, "--users", "4", "--duration", "6s",
        "--scenario", "smoke", "--report", str(out),
    )  # fmt: skip
    assert f"report: {out}" in result.stdout, result.stdout + result.stderr
    return finished_record(stack.state_dir, testid, result), out


@pytest.fixture(scope="module")
def http_run(http_report: tuple[RunRecord, Path]) -> RunRecord:
    return http_report[0]


@pytest.fixture(scope="module")
def demo_report(
    stack: StackSettings, demo_run: DemoRun, tmp_path_factory: pytest.TempPathFactory
) -> Opened:
    """The report `perfstack demo` wrote, copied next to its screenshot."""
    written = demo_run.state_dir / "reports" / f"{demo_run.testid}.html"
    assert written.is_file(), demo_run.stdout + demo_run.stderr
    out = tmp_path_factory.mktemp("report") / "demo.html"
    shutil.copyfile(written, out)
    return open_report(out, load_record(stack.state_dir, demo_run.testid))


def test_demo_report_opens_offline_without_errors_and_every_chart_has_points(
    demo_report: Opened,
) -> None:
    page = demo_report.visit
    assert page.console_errors == []
    assert page.outside_requests == []  # nothing leaves the page: no CDN, no font, no image
    charts = demo_report.charts
    assert HTTP_CHARTS | WS_CHARTS | RESOURCE_CHARTS | {"latency_distribution"} <= set(charts)
    for name, chart in charts.items():
        assert chart["lines"], f"{name}: no line"
        for line in chart["lines"]:
            assert len(line["x"]) > 0, f"{name} / {line['label']}: no point"
            assert all(math.isfinite(v) for v in line["y"]), f"{name}: a non-finite point"
    assert [line["label"] for line in charts["active_users"]["lines"]] == [
        demo_report.record.testid
    ]  # the graph's one series, not also the stat panel of the same title
    # generator CPU and its saturation flag (0: the demo's generators are not saturated)
    generator = {line["label"]: line["y"] for line in charts["generator_cpu"]["lines"]}
    saturated = [label for label in generator if label.startswith("saturated ")]
    assert saturated and all(set(generator[label]) == {0.0} for label in saturated)
    assert len(generator) > len(saturated)
    assert demo_report.tables["not_measured"] == [] or all(
        "none in this run" in text for text in demo_report.tables["not_measured"]
    )
    assert demo_report.path.stat().st_size < 5_000_000


def test_demo_report_numbers_equal_the_run_record(demo_report: Opened) -> None:
    record, tables = demo_report.record, demo_report.tables
    summary = {row["_head"]: row for row in tables["summary"]}
    assert summary["requests"]["requests"][1] == str(record.requests)
    assert summary["failures"]["failures"][1] == str(record.failures)
    assert record.requests > 0
    rows = {(row["_name"], row["_method"]): row for row in tables["names"]}
    # one row per name and method as the record keeps them, and one per name over all
    # its methods where it has several
    expected: dict[tuple[str, str], MethodStats] = {("", ""): record}
    for name, stats in record.names.items():
        assert stats.methods  # the demo's records keep methods
        expected.update({(name, method): figures for method, figures in stats.methods.items()})
        if len(stats.methods) > 1:
            expected[(name, "")] = stats
    assert set(rows) == set(expected)
    for key, stats in expected.items():
        row = rows[key]
        assert row["requests"][1] == str(stats.requests), key
        assert row["failures"][1] == str(stats.failures), key
        for percentile, value in stats.percentiles.items():
            assert float(row[percentile][1]) == value, (key, percentile)  # repr round-trips
    per_method = [int(row["requests"][1]) for (name, method), row in rows.items() if method]
    assert sum(per_method) == record.requests
    # the distribution chart draws each name's exact histogram: its bins and counts
    # are the record's, and they add up to the name's requests
    drawn = {
        line["label"]: (line["x"], line["y"])
        for line in demo_report.charts["latency_distribution"]["lines"]
    }
    assert set(drawn) == set(record.names) | {"all requests"}
    for name, stats in [*record.names.items(), ("all requests", record)]:
        bounds, counts = drawn[name]
        assert counts == [count for _, count in stats.histogram], name
        assert bounds == pytest.approx([bound * 1000.0 for bound, _ in stats.histogram])
        assert sum(counts) == stats.requests, name  # no request without a time here


def test_demo_report_has_the_gates_verdict_table(
    demo_report: Opened, stack: StackSettings, demo_run: DemoRun
) -> None:
    verdicts = demo_report.tables["verdicts"]
    gate = run_cli(
        "gate", "check", "--testid", demo_run.testid, "--state-dir", stack.state_dir,
        "--prometheus", stack.prometheus_url, "--no-push",
        "--json", demo_report.path.with_suffix(".json"), "--rules", default_rules(),
    )  # fmt: skip
    expected = json.loads(demo_report.path.with_suffix(".json").read_text())
    judged = {row["objective"][0]: row["verdict"][0] for row in verdicts}
    for objective in expected["objectives"]:
        assert judged[objective["name"]] == objective["status"], gate.stdout


def test_run_without_websocket_or_exporter_shows_not_measured(
    http_report: tuple[RunRecord, Path],
) -> None:
    http_run, path = http_report
    opened = open_report(path, http_run)
    assert opened.visit.console_errors == []
    assert opened.visit.outside_requests == []
    charts = opened.charts
    assert set(charts) >= HTTP_CHARTS
    assert not (WS_CHARTS | RESOURCE_CHARTS) & set(charts)
    not_measured = opened.tables["not_measured"]
    assert "WebSocket: not measured in this run" in not_measured
    assert "Target resources: not measured in this run" in not_measured
    # a closed run (no arrival stages, no pacing): nothing of the open model, not even a
    # "not measured" note, and no open-model figure in the summary
    assert not http_run.corrected_percentiles and "arrival" not in http_run.extra
    assert not {key for key in charts if key in OPEN_MODEL_CHARTS}
    page = path.read_text()
    assert "section-open-model" not in page
    assert not any(f'"{key}"' in page for key in OPEN_MODEL_CHARTS)
    assert "latency-corrected" not in opened.tables
    assert [row["_head"] for row in opened.tables["summary"]][-1] == "samples dropped"
    # the scenario's stages, as played (smoke scaled to 6 s), are marked on the users chart
    assert [stage["kind"] for stage in http_run.extra["stages"]] == ["ramp", "hold"]
    assert sum(stage["duration"] for stage in http_run.extra["stages"]) == pytest.approx(6.0)
    assert opened.visit.value["marks"]["active_users"] == [
        "stage 1: ramp, 4 users",
        "stage 2: hold, 4 users",
    ]
    # users from 0 at the start through the ramp to 0 at the stop, with no gap wider
    # than the query's step (1 s for a run this short; Prometheus keeps the start's ms)
    (users,) = charts["active_users"]["lines"]
    assert http_run.end is not None
    stop = http_run.end - http_run.start
    assert (users["x"][0], users["y"][0]) == (0.0, 0.0)
    assert users["x"][-1] == pytest.approx(stop) and users["y"][-1] == 0.0
    assert max(users["y"]) == http_run.users == 4
    steps = [b - a for a, b in zip(users["x"], users["x"][1:], strict=False)]
    assert all(0 < step <= 1.001 for step in steps), users["x"]


def test_the_page_opens_first_and_draws_the_charts_off_screen_by_itself(
    http_report: tuple[RunRecord, Path],
) -> None:
    _, path = http_report
    # not asked to draw them (no draw_all): the charts off screen are drawn while idle
    report = "perfstackReport"
    every = f"{FIRST_VIEW} && {report}.drawn === {report}.total"
    opened = visit(path, read=f"[{report}.drawn, {report}.total]", ready=every)
    assert opened.console_errors == []
    drawn, total = opened.value
    assert drawn == total >= len(HTTP_CHARTS) + 1  # and the distribution
    # at opening, only what is on screen (1400x900: the tables) waited for: no chart yet
    first = visit(path, ready=FIRST_VIEW, read="perfstackReport.drawn")
    assert first.value < total


def test_baseline_overlays_both_runs_and_tables_the_change(
    stack: StackSettings, demo_run: DemoRun, http_run: RunRecord, tmp_path: Path
) -> None:
    path = report(stack, tmp_path / "cmp.html", demo_run.testid,
                  "--baseline-testid", http_run.testid)  # fmt: skip
    record = load_record(stack.state_dir, demo_run.testid)
    opened = open_report(path, record)
    assert opened.visit.console_errors == []
    requests = opened.charts["requests_by_name"]["lines"]
    overlaid = [line for line in requests if line["label"].startswith("baseline ")]
    assert overlaid and len(overlaid) < len(requests)
    # both runs on a relative axis: each starts near 0 s
    assert min(min(line["x"]) for line in overlaid) < 10
    rows = {row["_name"]: row for row in opened.tables["baseline-change"]}
    assert set(rows) == set(record.names) | set(http_run.names)
    for name in set(record.names) & set(http_run.names):
        now = record.names[name].percentiles["p95"]
        then = http_run.names[name].percentiles["p95"]
        assert rows[name]["change p95"][0] == f"{now / then - 1:+.1%}"


def test_unknown_run_is_one_line_and_no_data_exit(stack: StackSettings, tmp_path: Path) -> None:
    result = run_cli("report", "--testid", "no-such-run", "-o", tmp_path / "r.html",
                     "--state-dir", stack.state_dir,
                     "--prometheus", stack.prometheus_url)  # fmt: skip
    assert result.returncode == 3
    assert (
        result.stderr.count("\n") == 1 and "no run record for testid 'no-such-run'" in result.stderr
    )
    assert not (tmp_path / "r.html").exists()


def test_run_prometheus_never_saw_is_no_data_not_an_empty_report(
    stack: StackSettings, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    testid = new_testid("unpushed")
    write_record(state, RunRecord(testid=testid, scenario="adhoc", generator="locust",
                                  target="http://127.0.0.1:1", start=1.0e9, end=1.0e9 + 30,
                                  exit_status="completed"))  # fmt: skip
    result = run_cli("report", "--testid", testid, "-o", tmp_path / "r.html",
                     "--state-dir", state, "--prometheus", stack.prometheus_url)  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "holds no series of run" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_prometheus_down_is_exit_4(
    http_run: RunRecord, stack: StackSettings, tmp_path: Path
) -> None:
    from perfstack.core.ports import free_port

    result = run_cli("report", "--testid", http_run.testid, "-o", tmp_path / "r.html",
                     "--state-dir", stack.state_dir,
                     "--prometheus", f"http://127.0.0.1:{free_port()}")  # fmt: skip
    assert result.returncode == 4, result.stderr
    assert result.stderr.startswith("perfstack: error: ") and result.stderr.count("\n") == 1


ABORTING_RULES = """
name: live
objectives:
  - name: error ratio
    sli: error_ratio
    pass: "<= 10%"
    abort_on_fail: true
    sustained: 2s
    live_window: 3s
"""


@pytest.mark.slow
def test_live_gate_abort_is_marked_and_the_run_keeps_its_exit_code(
    stack: StackSettings, demo_target_factory: Any, tmp_path: Path
) -> None:
    target = demo_target_factory(error_ratio=0.5)
    rules = tmp_path / "rules.yaml"
    rules.write_text(ABORTING_RULES)
    testid, out = new_testid("abort"), tmp_path / "abort.html"
    result = run_perfstack(
        examples_dir() / "locustfile_read_only.py", target.url, stack.state_dir,
        stack.prometheus_url, "-u", "4", "-t", "60s", "--testid", testid,
        "--gate", str(rules), "--report", str(out),
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr  # the gate's, not the report's
    assert f"report: {out}" in result.stdout
    record = load_record(stack.state_dir, testid)
    assert record.exit_status == "aborted" and record.failures > 0
    opened = open_report(out, record)
    assert opened.visit.console_errors == []
    marks = opened.visit.value["marks"]
    expected = f"live gate abort: {record.message}"
    # the history charts are over runs, not time; they are drawn when other tests on this
    # stack pushed summaries of the same scenario before (order under xdist varies)
    time_charts = [
        name for name in marks if name != "latency_distribution" and not name.startswith("history_")
    ]
    assert "requests_by_name" in time_charts
    assert record.end is not None
    for name in time_charts:
        assert expected in marks[name], name  # on every chart over the run's time
        # ... and in view: each chart spans the whole run, past its last point
        start, end = opened.visit.value["ranges"][name]
        assert start <= 0 and end >= record.end - record.start, (name, start, end)
    assert opened.tables["summary"][9]["exit status"][0].startswith("aborted")
    assert "failures_by_name" in opened.charts  # failures happened: the chart has them


def test_unwritable_output_is_one_line_naming_it_and_exit_23(
    http_run: RunRecord, stack: StackSettings, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    out = blocker / "report.html"
    result = run_cli("report", "--testid", http_run.testid, "-o", out,
                     "--state-dir", stack.state_dir,
                     "--prometheus", stack.prometheus_url)  # fmt: skip
    assert result.returncode == 23, result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"perfstack: error: -o {out}: could not write the report")


def test_a_store_url_that_is_no_query_api_is_one_line_and_no_report(
    not_a_store: str, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    testid = new_testid("elsewhere")
    write_record(state, RunRecord(testid=testid, scenario="adhoc", generator="locust",
                                  target="http://127.0.0.1:1", start=1.0e9, end=1.0e9 + 30,
                                  exit_status="completed"))  # fmt: skip
    result = run_cli("report", "--testid", testid, "-o", tmp_path / "r.html",
                     "--state-dir", state,
                     env={"PERFSTACK_PROMETHEUS_URL": not_a_store})  # fmt: skip
    assert result.returncode == 4, result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"perfstack: error: PERFSTACK_PROMETHEUS_URL {not_a_store}: ")
    assert "expected a Prometheus-compatible query API" in result.stderr
    assert not (tmp_path / "r.html").exists()
