"""The fixture handle other areas rely on: urls, pid, knobs, stop/kill/restart."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import psutil
import pytest

from tests.fixtures.demo_target import DemoTarget


def test_handle_attributes(demo_target: DemoTarget) -> None:
    assert demo_target.url == f"http://127.0.0.1:{demo_target.port}"
    assert demo_target.ws_url == f"ws://127.0.0.1:{demo_target.port}/ws/chat"
    assert psutil.Process(demo_target.pid).is_running() and demo_target.alive
    assert httpx.get(demo_target.url + "/health").json() == {"status": "ok"}
    root = httpx.get(demo_target.url + "/").json()
    assert "/api/items" in root["endpoints"] and "/ws/chat" in root["endpoints"]


def test_restart_keeps_port_and_start_flags(demo_target_factory: Callable[..., DemoTarget]) -> None:
    target = demo_target_factory(latency_ms=7)
    port, pid = target.port, target.pid
    target.set_knobs(latency_ms=50)  # runtime changes die with the process
    target.kill()
    assert not target.alive
    with pytest.raises(httpx.ConnectError):
        httpx.get(target.url + "/health", timeout=2)
    target.restart()
    assert (target.port, target.alive) == (port, True) and target.pid != pid
    assert target.get_knobs()["latency_ms"] == 7


def test_set_knobs_reports_rejected_values(demo_target_factory: Callable[..., DemoTarget]) -> None:
    target = demo_target_factory()
    with pytest.raises(ValueError, match="error_ratio: expected a ratio between 0 and 1"):
        target.set_knobs(error_ratio=3)
    with pytest.raises(ValueError, match="unknown knob"):
        target.set_knobs(latency=5)
    assert target.get_knobs()["error_ratio"] == 0  # nothing applied


def test_admin_rejects_a_body_that_is_not_an_object(demo_target: DemoTarget) -> None:
    response = httpx.post(demo_target.url + "/admin/knobs", content=b"[1]")
    assert response.status_code == 400 and "JSON object" in response.json()["error"]


def test_stop_is_a_clean_exit(demo_target_factory: Callable[..., DemoTarget]) -> None:
    target = demo_target_factory()
    assert target.stop() == 0
    assert target.stop() == 0  # harmless twice


def test_unknown_knob_keyword_fails_before_starting(
    demo_target_factory: Callable[..., DemoTarget],
) -> None:
    with pytest.raises(TypeError, match="unknown demo target knob"):
        demo_target_factory(latncy_ms=5)
