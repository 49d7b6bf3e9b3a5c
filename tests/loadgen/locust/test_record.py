"""The run record the plugin's master (or standalone process) builds at quit."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from loadgen.locust.record import build_record
from loadgen.locust.recorder import RequestRecorder
from loadgen.locust.swarms import Swarms
from perfstack.core.identity import RunIdentity


def plugin_run(
    recorder: RequestRecorder, role: str, reports: dict[str, dict[str, Any]], tmp_path: Path
) -> Any:
    locust_total = SimpleNamespace(num_requests=7, num_failures=1)  # e.g. after --reset-stats
    return SimpleNamespace(
        identity=RunIdentity.create(scenario="smoke", generator="locust", testid="t-1"),
        start=100.0,
        end=110.0,
        role=role,
        environment=SimpleNamespace(
            stats=SimpleNamespace(total=locust_total),
            host="http://x",
            parsed_options=None,  # nothing planned: whatever ended the run is its end
            shape_class=None,
        ),
        recorder=recorder,
        guard=recorder.guard,
        worker_reports=reports,
        pusher=None,
        peak_users=4,
        health=SimpleNamespace(was_saturated=False),
        settings=SimpleNamespace(prometheus_url="http://p", state_dir=tmp_path),
        swarms=Swarms(),
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


def test_a_worker_s_store_refusal_reaches_the_master_s_record(tmp_path: Path) -> None:
    reports = {
        "w0": {"samples_dropped": 5},
        "w1": {"samples_dropped": 7, "store_refused": "HTTP 403: invalid token"},
    }
    record = build_record(plugin_run(filled_recorder(10, ["/a"]), "master", reports, tmp_path), 0)
    assert record.samples_dropped == 12
    assert record.extra["store_refused"] == "HTTP 403: invalid token"
    assert "store_answer_unexpected" not in record.extra
    quiet = build_record(plugin_run(filled_recorder(10, ["/a"]), "master", {}, tmp_path), 0)
    assert "store_refused" not in quiet.extra
