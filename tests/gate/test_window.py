from __future__ import annotations

from pathlib import Path

import pytest

from gate.window import RunWindow, parse_time, resolve, window_for
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.record import RunRecord, write_record


def test_placeholders_scope_queries_to_the_run() -> None:
    window = RunWindow("t-1", "smoke", 1000.0, 1012.5, settle=5.0)
    values = window.placeholders({"svc": "api"})
    assert window.eval_time == 1017.5
    assert resolve('x{testid="$testid",job="${svc}"}[$range] / $duration_seconds', values) == (
        'x{testid="t-1",job="api"}[17500ms] / 12.500'
    )
    assert (values["start"], values["end"], values["duration"], values["scenario"]) == (
        "1000.000",
        "1012.500",
        "17500ms",
        "smoke",
    )
    with pytest.raises(KeyError):
        resolve("$unknown", values)


def test_in_progress_runs() -> None:
    assert "no end time" in str(RunWindow("t", "s", 100.0, None).in_progress(now=200.0))
    assert "in the future" in str(RunWindow("t", "s", 100.0, 300.0).in_progress(now=200.0))
    assert RunWindow("t", "s", 100.0, 150.0).in_progress(now=200.0) is None


def test_testids_cannot_inject_promql() -> None:
    with pytest.raises(PerfstackError):
        RunWindow('x"} or vector(1) #', "s", 0.0, 1.0)


def test_window_from_the_last_record_or_from_flags(tmp_path: Path) -> None:
    for testid, start in (("old", 100.0), ("new", 200.0)):
        write_record(tmp_path, RunRecord(testid, "smoke", "locust", "http://x", start, start + 10))
    assert window_for(tmp_path, None, None, None).testid == "new"
    assert window_for(tmp_path, "old", None, None).end == 110.0
    flagged = window_for(tmp_path, "adhoc-1", 50.0, 60.0, scenario="peak")
    assert (flagged.start, flagged.end, flagged.scenario, flagged.record) == (
        50.0,
        60.0,
        "peak",
        None,
    )
    with pytest.raises(PerfstackError) as caught:
        window_for(tmp_path, None, 50.0, 60.0)
    assert caught.value.exit_code == ExitCode.USAGE
    with pytest.raises(PerfstackError) as missing:
        window_for(tmp_path, "nope", None, None)
    assert missing.value.exit_code == ExitCode.NO_DATA


def test_times_on_the_command_line() -> None:
    assert parse_time("1700000000", "--start") == 1700000000.0
    assert parse_time("now-5m", "--start", clock=lambda: 1000.0) == 700.0
    assert parse_time("2024-01-01T00:00:00Z", "--end") == 1704067200.0
    with pytest.raises(PerfstackError, match="--end 'yesterday'"):
        parse_time("yesterday", "--end")
