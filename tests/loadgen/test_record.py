from __future__ import annotations

import json

import pytest

from loadgen.record import NameStats, RunRecord, load_record, record_path, write_record
from perfstack.errors import ExitCode, PerfstackError


def make(testid: str, start: float) -> RunRecord:
    return RunRecord(
        testid=testid, scenario="smoke", generator="locust", target="http://127.0.0.1:1",
        start=start, end=start + 10.5, requests=12, failures=2,
        names={"/a": NameStats(12, 2, {"p95": 0.25})}, percentiles={"p95": 0.25},
    )  # fmt: skip


def test_round_trip_and_json_shape(tmp_path):
    path = write_record(tmp_path, make("run-1", 1000.0))
    assert path == record_path(tmp_path, "run-1") == tmp_path / "runs" / "run-1.json"
    data = json.loads(path.read_text())
    assert data["duration"] == 10.5
    assert data["names"]["/a"] == {"requests": 12, "failures": 2, "percentiles": {"p95": 0.25}}
    loaded = load_record(tmp_path, "run-1")
    assert loaded == make("run-1", 1000.0)
    assert not list((tmp_path / "runs").glob(".*tmp"))  # written atomically


def test_latest_record_is_the_one_that_started_last(tmp_path):
    write_record(tmp_path, make("b-late", 2000.0))
    write_record(tmp_path, make("a-early", 1000.0))
    assert load_record(tmp_path).testid == "b-late"


def test_missing_and_broken_records_are_errors(tmp_path):
    with pytest.raises(PerfstackError, match="no run records") as raised:
        load_record(tmp_path)
    assert raised.value.exit_code == ExitCode.NO_DATA
    with pytest.raises(PerfstackError, match="no run record for testid 'x'"):
        load_record(tmp_path, "x")
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "bad.json").write_text("{}")
    with pytest.raises(PerfstackError, match="not a valid run record") as raised:
        load_record(tmp_path, "bad")
    assert raised.value.exit_code == ExitCode.BAD_CONFIG_FILE


def test_unknown_fields_from_newer_writers_are_ignored(tmp_path):
    data = make("run-2", 5.0).to_json() | {"future_field": 1}
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "run-2.json").write_text(json.dumps(data))
    assert load_record(tmp_path, "run-2").requests == 12
