"""/metrics: default collectors, request metrics under route templates, cache, WS, knobs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import websockets
from prometheus_client import CollectorRegistry, generate_latest

from demo.app import create_app
from demo.metrics import build_registry
from tests.demo.promtext import sample_value
from tests.fixtures.demo_target import DemoTarget


def test_default_process_gc_and_platform_collectors(demo_target: DemoTarget) -> None:
    text = demo_target.metrics_text()
    assert sample_value(text, "process_resident_memory_bytes") > 10_000_000  # type: ignore[operator]
    assert sample_value(text, "process_cpu_seconds_total") is not None
    assert sample_value(text, "python_gc_objects_collected_total", generation="0") is not None
    assert sample_value(text, "python_info") == 1.0
    assert "_created" not in text  # disabled: they only double the series count


def test_requests_are_counted_by_route_template(
    demo_target_factory: Callable[..., DemoTarget],
) -> None:
    target = demo_target_factory()
    with httpx.Client(base_url=target.url, timeout=5) as client:
        for item_id in (5, 5, 6, 7):
            assert client.get(f"/api/items/{item_id}").status_code == 200
        assert client.get("/api/items/99999").status_code == 404
        assert client.post("/api/items", json={"name": "new"}).status_code == 201
        assert client.post("/api/items", content=b"not json").status_code == 400
        assert client.get("/no/such/page").status_code == 404
    text = target.metrics_text()

    def requests(path: str, method: str, status: str) -> float | None:
        return sample_value(
            text, "demo_http_requests_total", path=path, method=method, status=status
        )

    assert requests("/api/items/{item_id}", "GET", "200") == 4
    assert requests("/api/items/{item_id}", "GET", "404") == 1
    assert requests("/api/items", "POST", "201") == 1
    assert requests("/api/items", "POST", "400") == 1
    assert requests("_unmatched_", "GET", "404") == 1
    assert "/api/items/5" not in text and "/no/such" not in text  # never a raw URL
    count = sample_value(
        text, "demo_http_request_duration_seconds_count", path="/api/items/{item_id}", method="GET"
    )
    assert count == 5


def test_cache_hits_follow_the_lru(demo_target_factory: Callable[..., DemoTarget]) -> None:
    target = demo_target_factory(cache_size=10)
    with httpx.Client(base_url=target.url, timeout=5) as client:
        for _ in range(2):
            for item_id in range(1, 11):
                client.get(f"/api/items/{item_id}").raise_for_status()
        text = target.metrics_text()
        assert sample_value(text, "demo_cache_requests_total") == 20
        assert sample_value(text, "demo_cache_hits_total") == 10  # second pass all hits
        target.set_knobs(cache_size=0)
        for item_id in range(1, 11):
            client.get(f"/api/items/{item_id}").raise_for_status()
    text = target.metrics_text()
    assert sample_value(text, "demo_cache_requests_total") == 30
    assert sample_value(text, "demo_cache_hits_total") == 10  # nothing cached any more


def test_ws_and_knob_metrics(demo_target_factory: Callable[..., DemoTarget]) -> None:
    target = demo_target_factory(latency_ms=5)
    target.set_knobs(error_ratio=0.25)

    async def scenario() -> str:
        async with websockets.connect(target.ws_url) as ws:
            for text in ("a", "b", "c"):
                await ws.send(text)
                await ws.recv()
            return await asyncio.to_thread(target.metrics_text)

    during = asyncio.run(scenario())
    assert sample_value(during, "demo_ws_connections_open") == 1
    assert sample_value(during, "demo_ws_messages_total", direction="received") == 3
    assert sample_value(during, "demo_ws_messages_total", direction="sent") == 3
    after = target.metrics_text()
    assert sample_value(after, "demo_knob_value", knob="latency_ms") == 5
    assert sample_value(after, "demo_knob_value", knob="error_ratio") == 0.25
    assert sample_value(after, "demo_stalled") == 0


def test_app_uses_the_registry_it_is_given() -> None:
    registry = CollectorRegistry()
    create_app(registry=registry)
    text = generate_latest(registry).decode()
    assert "demo_http_requests_total" in text
    assert "process_resident_memory_bytes" not in text  # only build_registry() adds those
    assert "process_resident_memory_bytes" in generate_latest(build_registry()).decode()
