from __future__ import annotations

import json

import pytest

from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.record import (
    NameStats,
    RunRecord,
    joined_with_existing,
    load_record,
    read_record_file,
    record_path,
    write_record,
    write_record_file,
)


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
    assert data["names"]["/a"] == {
        "requests": 12, "failures": 2, "percentiles": {"p95": 0.25}, "methods": {},
        "histogram": [],
    }  # fmt: skip
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


def test_per_method_figures_round_trip_under_their_name(tmp_path):
    from perfstack.core.record import MethodStats

    methods = {"GET": MethodStats(9, 0, {"p95": 0.2}), "PUT": MethodStats(3, 2, {"p95": 0.5})}
    written = make("run-m", 1.0)
    written.names["/a"].methods = methods
    data = json.loads(write_record(tmp_path, written).read_text())
    assert data["names"]["/a"]["methods"]["PUT"] == {
        "requests": 3, "failures": 2, "percentiles": {"p95": 0.5}, "histogram": [],
    }  # fmt: skip
    assert load_record(tmp_path, "run-m").names["/a"].methods == methods


def test_an_older_record_without_methods_reads_with_none(tmp_path):
    data = make("run-old", 1.0).to_json()
    data["names"] = {"/a": {"requests": 12, "failures": 2, "percentiles": {"p95": 0.25}}}
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "run-old.json").write_text(json.dumps(data))
    names = load_record(tmp_path, "run-old").names
    assert names == {"/a": NameStats(12, 2, {"p95": 0.25})} and names["/a"].methods == {}


def test_histograms_round_trip_and_a_bad_one_names_where_it_is(tmp_path):
    written = make("run-h", 1.0)
    written.histogram = [[0.001, 10], [0.25, 2]]
    written.names["/a"].histogram = [[0.001, 10], [0.25, 2]]
    write_record(tmp_path, written)
    assert load_record(tmp_path, "run-h") == written
    data = written.to_json()
    data["names"]["/a"]["histogram"] = [[0.001, 1.5]]
    (tmp_path / "runs" / "run-h.json").write_text(json.dumps(data))
    with pytest.raises(PerfstackError, match=r"names\['/a'\].histogram: expected a list of"):
        load_record(tmp_path, "run-h")


@pytest.mark.parametrize(
    ("methods", "named"),
    [
        ({"GET": {"requests": "many"}}, "names['/a'].methods['GET']: expected requests"),
        ([], "names['/a'].methods: expected an object"),
    ],
)
def test_a_bad_per_method_figure_names_where_it_is(tmp_path, methods, named):
    data = make("run-bad", 1.0).to_json()
    data["names"]["/a"]["methods"] = methods
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "run-bad.json").write_text(json.dumps(data))
    with pytest.raises(PerfstackError, match=named.replace("[", r"\[")) as raised:
        load_record(tmp_path, "run-bad")
    assert raised.value.exit_code == ExitCode.BAD_CONFIG_FILE


def record(generator: str, **extra: object) -> RunRecord:
    return RunRecord(
        testid="mixed-1", scenario="s", generator=generator, target="http://127.0.0.1:1", start=1.0,
        extra=dict(extra),
    )  # fmt: skip


def test_a_websocket_summary_already_written_under_the_testid_is_kept(tmp_path):
    write_record(tmp_path, record("ws", ws={"messages": 10}))
    merged = joined_with_existing(tmp_path, record("locust", role="local"))
    assert merged.generator == "locust"
    assert merged.extra == {"role": "local", "ws": {"messages": 10}}
    write_record(tmp_path, merged)
    assert load_record(tmp_path, "mixed-1").extra["ws"] == {"messages": 10}


def test_without_another_record_nothing_changes(tmp_path):
    assert joined_with_existing(tmp_path, record("locust", role="local")).extra == {"role": "local"}
    write_record(tmp_path, record("locust", role="old"))
    assert joined_with_existing(tmp_path, record("locust", role="new")).extra == {"role": "new"}


def test_a_websocket_record_joins_the_http_record_already_written(tmp_path):
    write_record(tmp_path, record("locust", role="local"))
    joined = joined_with_existing(tmp_path, record("ws", ws={"messages": 3}, other="dropped"))
    assert joined.generator == "locust"
    assert joined.extra == {"role": "local", "ws": {"messages": 3}}


def test_an_unreadable_existing_record_is_replaced(tmp_path):
    record_path(tmp_path, "mixed-1").parent.mkdir(parents=True)
    record_path(tmp_path, "mixed-1").write_text("{ not json")
    assert joined_with_existing(tmp_path, record("ws", ws={})).generator == "ws"


def test_a_record_file_round_trips_outside_the_runs_folder(tmp_path):
    path = write_record_file(tmp_path / "handoff" / "t.locust-record", record("locust", a=1))
    assert read_record_file(path) == record("locust", a=1)
    assert list(path.parent.iterdir()) == [path]  # the temporary file was renamed
    path.write_text("[]")
    with pytest.raises(PerfstackError, match="not a valid run record") as raised:
        read_record_file(path)
    assert raised.value.exit_code == ExitCode.BAD_CONFIG_FILE


def test_the_duration_of_a_run_with_swarms_is_the_time_load_ran(tmp_path):
    record = make("swarms-1", 1000.0)  # 1000.0 .. 1010.5
    record.swarms = [
        {"start": 1000.0, "end": 1002.5, "duration": 2.5, "users": 2, "requests": 5, "failures": 1},
        {"start": 1007.0, "end": 1010.5, "duration": 3.5, "users": 3, "requests": 7, "failures": 1},
    ]
    assert record.duration == 6.0  # not the 10.5 s from the first start to the last end
    record.swarms[1]["duration"] = 3.25  # the monotonic clock's, when the wall clock stepped
    assert record.duration == 5.75
    read = load_record(tmp_path, write_record(tmp_path, record).stem)
    assert read.swarms == record.swarms and read.to_json()["duration"] == 5.75
    assert make("plain-1", 1000.0).duration == 10.5  # no swarms listed: end - start


def test_a_swarm_without_its_times_is_one_line_naming_it(tmp_path):
    swarm = {"start": 1000.0, "end": None, "duration": 2.0}
    data = make("swarms-2", 1000.0).to_json() | {"swarms": [swarm]}
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "swarms-2.json").write_text(json.dumps(data))
    with pytest.raises(PerfstackError) as error:
        load_record(tmp_path, "swarms-2")
    assert error.value.exit_code == ExitCode.BAD_CONFIG_FILE
    assert str(error.value).endswith(
        "not a valid run record: swarms[0]: expected an object with start, end and duration numbers"
    )


def test_the_arrival_schedule_is_read_from_extra_only_when_it_is_one(tmp_path):
    record = make("open-1", 1000.0)
    assert record.arrival is None  # a closed run
    record.extra["arrival"] = {"scheduled": 24, "started": 12, "dropped": 12}
    read = load_record(tmp_path, write_record(tmp_path, record).stem)
    assert read.arrival == {"scheduled": 24, "started": 12, "dropped": 12}
    record.extra["arrival"] = "24 of 24"  # not the schedule's object: no schedule read
    assert record.arrival is None
