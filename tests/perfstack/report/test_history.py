"""The report's run-history section on a real history: past runs' summaries pushed into the
session Prometheus (a known p95 shift), the report's own run being the session's demo run
(its Prometheus series real) recorded under the same scenario, the page opened in headless
Chromium and its charts read back."""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.record import RunRecord, load_record, write_record
from perfstack.core.settings import StackSettings
from perfstack.history.detect import MIN_RUNS
from perfstack.history.summary import record_values, summary_of
from perfstack.report import history as report_history
from perfstack.report.drawing import ALL_DRAWN
from perfstack.report.history import gather_history
from perfstack.report.html import history_section
from perfstack.testing.browser import visit
from tests.fixtures.demo_run import DemoRun
from tests.perfstack.cli_runner import run_cli
from tests.perfstack.history.histories import SPACING_SECONDS, push_history, unique_scenario
from tests.perfstack.report.test_report import CHARTS, MARKS

P95, RPS, ERRORS = "latency_p95_seconds", "throughput_rps", "error_ratio"
BEFORE, AFTER = 4, 3  # pushed runs before and after the shift; the report's run is last
JITTER = (0.01, -0.01, 0.005, -0.005)  # a variance on each side for the t-test

PAGE = f"({{charts: {CHARTS}, marks: {MARKS}, changes: [...document.querySelectorAll(" \
    "'#history-changes tbody tr')].map(tr => Object.fromEntries([...tr.cells].map(" \
    "td => [td.dataset.field, td.textContent]))), notes: [...document.querySelectorAll(" \
    "'#section-history .history-note')].map(p => p.textContent)})"  # fmt: skip


def own_values(record: RunRecord) -> dict[str, float]:
    """The whole-run SLIs the history holds for the report's own run (its local record)."""
    values = summary_of(record)[1] or record_values(record)
    return {value.sli: value.value for value in values if value.name == ""}


def as_scenario(demo_run: DemoRun, state_dir: Path, scenario: str) -> RunRecord:
    """The demo run's record under `scenario`, in a state dir of the test's own: its
    series in Prometheus are the demo's, its history the test's."""
    record = load_record(demo_run.state_dir, demo_run.testid)
    moved = dataclasses.replace(record, scenario=scenario)
    write_record(state_dir, moved)
    return moved


def report(stack: StackSettings, state_dir: Path, testid: str, out: Path, *extra: str) -> Path:
    result = run_cli(
        "report", "--testid", testid, "-o", out, "--state-dir", state_dir,
        "--prometheus", stack.prometheus_url, *extra, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


def with_jitter(level: float, index: int) -> float:
    return level * (1 + JITTER[index % len(JITTER)])


def test_history_charts_the_summaries_and_marks_the_one_change_at_its_run(
    stack: StackSettings, demo_run: DemoRun, tmp_path: Path
) -> None:
    scenario = unique_scenario("report-history")
    record = as_scenario(demo_run, tmp_path, scenario)
    own = own_values(record)
    assert own[P95] > 0 and own[RPS] > 0
    # twice the own run's p95 before the shift, its own level after: one change, at run 5
    p95s = [with_jitter(2 * own[P95], i) for i in range(BEFORE)]
    p95s += [with_jitter(own[P95], i) for i in range(AFTER)]
    rpss = [with_jitter(own[RPS], i) for i in range(BEFORE + AFTER)]
    first_end = float(record.start) - (BEFORE + AFTER + 1) * SPACING_SECONDS
    records = push_history(
        stack.prometheus_url,
        scenario,
        [{P95: p, RPS: r} for p, r in zip(p95s, rpss, strict=True)],
        first_end=first_end,
    )
    out = report(
        stack, tmp_path, record.testid, tmp_path / "history.html"
    )  # the CLI's default window
    page = visit(out, ready=ALL_DRAWN, read=PAGE, screenshot=out.with_suffix(".png"))
    assert page.console_errors == []
    charts = {chart["name"]: chart for chart in page.value["charts"]}
    runs = list(range(1, BEFORE + AFTER + 2))
    for sli, pushed in ((P95, p95s), (RPS, rpss)):
        lines = {line["label"]: line for line in charts[f"history_{sli}"]["lines"]}
        assert lines[sli]["x"] == runs
        assert lines[sli]["y"] == [*pushed, own[sli]]  # as pushed and as recorded, exactly
        assert lines["this run"]["x"] == [runs[-1]]
        assert lines["this run"]["y"] == [own[sli]]
    # exactly one change point in the whole section: p95, between runs 4 and 5, better
    marks = {
        name: texts
        for name, texts in page.value["marks"].items()
        if texts and name.startswith("history_")
    }
    assert list(marks) == [f"history_{P95}"]
    (text,) = marks[f"history_{P95}"]
    assert text.startswith("change: better -")
    assert f"{RPS}: no change point in {BEFORE + AFTER + 1} runs" in out.read_text("utf-8")
    (change,) = page.value["changes"]
    assert change["sli"] == P95
    assert change["run_after"] == records[BEFORE].testid
    assert change["run_before"] == records[BEFORE - 1].testid
    # the SLIs only the own run has are named with their run count, never drawn empty
    if ERRORS in own:
        assert (
            f"{ERRORS}: not enough runs: 1 of {MIN_RUNS} (no change point looked for)"
            in (page.value["notes"])
        )
        assert f"history_{ERRORS}" not in charts


def test_two_runs_say_not_enough_runs_and_no_history_leaves_the_section_out(
    stack: StackSettings, demo_run: DemoRun, tmp_path: Path
) -> None:
    scenario = unique_scenario("report-short")
    record = as_scenario(demo_run, tmp_path, scenario)
    push_history(stack.prometheus_url, scenario, [{P95: 0.1}], first_end=record.start - 600)
    text = report(stack, tmp_path, record.testid, tmp_path / "short.html").read_text(
        encoding="utf-8"
    )
    assert f"{P95}: not enough runs: 2 of {MIN_RUNS}" in text
    assert 'id="history-changes"' not in text and ": no change point in" not in text
    bare = report(stack, tmp_path, record.testid, tmp_path / "bare.html", "--no-history")
    assert "run history not read (--no-history)" in bare.read_text(encoding="utf-8")


def test_a_bad_history_window_is_one_line_and_exit_2(stack: StackSettings, tmp_path: Path) -> None:
    result = run_cli(
        "report", "--testid", "any", "-o", tmp_path / "x.html", "--state-dir", tmp_path,
        "--history-since", "lately",
    )  # fmt: skip
    assert result.returncode == ExitCode.USAGE
    assert result.stderr.strip().splitlines() == [
        "perfstack: error: --history-since 'lately': expected a duration like 90d, 2w, 12h"
    ]


def _history(stack: StackSettings, tmp_path: Path, runs: int) -> report_history.RunHistory:
    scenario = unique_scenario("report-otava")
    records = push_history(stack.prometheus_url, scenario, [{P95: 0.1 + i} for i in range(runs)])
    return gather_history(records[-1], stack.prometheus_url, tmp_path, 3600.0, "1h")


def test_without_otava_the_section_charts_the_runs_and_says_none_were_looked_for(
    stack: StackSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install without the 'history' extra: the points, and a sentence, never "no
    change point"."""
    monkeypatch.setitem(sys.modules, "otava.analysis", None)  # makes its import fail
    found = _history(stack, tmp_path, MIN_RUNS)
    assert [s.values for s in found.slis] == [[0.1 + i for i in range(MIN_RUNS)]]
    assert found.undetected.startswith("change points not looked for: ")
    assert "pip install 'perfstack[history]'" in found.undetected
    page = history_section(found, {f"history_{P95}": "<div></div>"})
    assert "no change point" not in page and found.undetected in page.replace("&#x27;", "'")


def test_no_run_of_the_scenario_and_an_unreadable_history_are_said(
    stack: StackSettings, tmp_path: Path
) -> None:
    record = RunRecord("t", unique_scenario("none"), "locust", "x", time.time() - 5, time.time())
    empty = gather_history(record, stack.prometheus_url, tmp_path, 3600.0, "1h")
    assert f"no run of scenario {record.scenario} since 1h" in history_section(empty, {})
    # a port nothing listens on: local records only, and no record there either
    down = gather_history(record, "http://127.0.0.1:9", tmp_path, 3600.0, "1h")
    assert down.runs == 0 and down.notes and down.notes[0].startswith("Prometheus not read")


def test_a_rejected_history_query_is_a_sentence_not_a_failed_report(
    stack: StackSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def rejected(query: Any) -> Any:
        raise PerfstackError("Prometheus rejected the history query: bad", ExitCode.USAGE)

    monkeypatch.setattr(report_history, "load_history", rejected)
    record = RunRecord("t", "s", "locust", "x", time.time() - 5, time.time())
    found = gather_history(record, stack.prometheus_url, tmp_path, 3600.0, "1h")
    assert found.undetected == "run history not read: Prometheus rejected the history query: bad"
