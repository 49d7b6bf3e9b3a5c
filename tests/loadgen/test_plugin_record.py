"""The run record the plugin's master (or standalone process) builds at quit."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from loadgen.identity import RunIdentity
from loadgen.plugin_record import build_record, keep_other_generators
from loadgen.record import RunRecord, load_record, write_record
from loadgen.request_recorder import RequestRecorder


def plugin_run(
    recorder: RequestRecorder, role: str, reports: dict[str, dict[str, Any]], tmp_path: Path
) -> Any:
    locust_total = SimpleNamespace(num_requests=7, num_failures=1)  # e.g. after --reset-stats
    return SimpleNamespace(
        identity=RunIdentity.create(scenario="smoke", generator="locust", testid="t-1"),
        start=100.0,
        end=110.0,
        role=role,
        environment=SimpleNamespace(stats=SimpleNamespace(total=locust_total), host="http://x"),
        recorder=recorder,
        guard=recorder.guard,
        worker_reports=reports,
        pusher=None,
        peak_users=4,
        health=SimpleNamespace(was_saturated=False),
        settings=SimpleNamespace(prometheus_url="http://p", state_dir=tmp_path),
    )


def filled_recorder(cap: int, names: list[str]) -> RequestRecorder:
    recorder = RequestRecorder(CollectorRegistry(), cap)
    for name in names:
        recorder.on_request("GET", name, 5.0)
        recorder.on_request("GET", name, 9.0, exception=ConnectionRefusedError())
    return recorder


def test_totals_are_the_sums_over_names_and_locust_s_own_are_kept_apart(tmp_path: Path) -> None:
    record = build_record(plugin_run(filled_recorder(10, ["/a", "/b"]), "local", {}, tmp_path), 0)
    assert (record.requests, record.failures) == (4, 2)
    assert {name: stats.requests for name, stats in record.names.items()} == {"/a": 2, "/b": 2}
    assert (record.extra["locust_requests"], record.extra["locust_failures"]) == (7, 1)
    assert record.extra["names_partial"] is False


@pytest.mark.parametrize(
    ("decided_alone", "partial"),
    [((0, 0), False), ((2, 0), True), ((0, 1), True)],
)
def test_per_name_figures_are_marked_partial_when_a_worker_decided_names_alone(
    tmp_path: Path, decided_alone: tuple[int, int], partial: bool
) -> None:
    reports = {
        f"w{i}": {"name_overflow": 3, "names_decided_alone": alone}
        for i, alone in enumerate(decided_alone)
    }
    record = build_record(plugin_run(filled_recorder(10, ["/a"]), "master", reports, tmp_path), 0)
    assert record.name_overflow == 6  # overflowing alone is not partial: the master agreed
    assert record.extra["names_decided_alone"] == sum(decided_alone)
    assert record.extra["names_partial"] is partial


def record(generator: str, **extra: object) -> RunRecord:
    return RunRecord(
        testid="mixed-1", scenario="s", generator=generator, target="http://127.0.0.1:1", start=1.0,
        extra=dict(extra),
    )  # fmt: skip


def test_a_websocket_summary_already_written_under_the_testid_is_kept(tmp_path):
    write_record(tmp_path, record("ws", ws={"messages": 10}))
    merged = keep_other_generators(tmp_path, record("locust", role="local"))
    assert merged.generator == "locust"
    assert merged.extra == {"role": "local", "ws": {"messages": 10}}
    write_record(tmp_path, merged)
    assert load_record(tmp_path, "mixed-1").extra["ws"] == {"messages": 10}


def test_without_another_record_nothing_changes(tmp_path):
    assert keep_other_generators(tmp_path, record("locust", role="local")).extra == {
        "role": "local"
    }
    write_record(tmp_path, record("locust", role="old"))
    assert keep_other_generators(tmp_path, record("locust", role="new")).extra == {"role": "new"}
