"""The vmagent flags `perfstack agent` uses, and its bad input: one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfstack.agent.vmagent import AgentPlan, vmagent_argv
from perfstack.core.errors import ExitCode, PerfstackError

STORE = "http://metrics-host:9090/api/v1/write"


def _plan(**changes: object) -> AgentPlan:
    values: dict[str, object] = dict(
        store_url=STORE, store="prometheus", data_dir=Path("/q"), port=8429, max_disk="2GB"
    )
    values.update(changes)
    return AgentPlan(**values)  # type: ignore[arg-type]


def test_in_front_of_prometheus_the_backlog_goes_out_on_one_queue() -> None:
    plan = _plan()
    assert vmagent_argv(plan, "/usr/bin/vmagent") == [
        "/usr/bin/vmagent",
        "-httpListenAddr=127.0.0.1:8429",
        f"-remoteWrite.url={STORE}",
        "-remoteWrite.tmpDataPath=/q",
        "-remoteWrite.maxDiskUsagePerURL=2GB",
        "-remoteWrite.flushInterval=1s",
        "-remoteWrite.queues=1",
    ]
    assert plan.write_url == "http://127.0.0.1:8429/api/v1/write"
    # VictoriaMetrics takes samples out of order: vmagent's default queues
    assert not any("queues" in flag for flag in vmagent_argv(_plan(store="victoria-metrics")))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"store_url": "metrics-host:9090"}, "--store-url 'metrics-host:9090': expected the"),
        ({"store": "mimir"}, "--store 'mimir': expected one of prometheus, victoria-metrics"),
        ({"port": 0}, "--port 0: expected a port 1-65535"),
        ({"max_disk": "lots"}, "--max-disk 'lots': expected a size like 500MB"),
    ],
)
def test_bad_input_is_one_line_naming_the_flag(changes: dict[str, object], message: str) -> None:
    with pytest.raises(PerfstackError) as caught:
        _plan(**changes)
    assert caught.value.exit_code == ExitCode.USAGE
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
