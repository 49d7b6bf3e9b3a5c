"""API benchmarks in the style of the seeds' pytest-benchmark suites, run by
examples/ci/perf-gate.sh against TARGET_URL (the demo target in the example):

    pytest examples/ci/perf_tests -m performance --perfstack --benchmark-json benchmark.json

Each benchmark's stats go to Prometheus under the session's testid (the `--perfstack`
plugin); examples/ci/benchmark-rules.yaml judges them, and the memory test's figures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

TARGET_URL = os.environ.get("TARGET_URL", "http://127.0.0.1:8000")


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(base_url=TARGET_URL, timeout=10, trust_env=False) as client:
        yield client


@pytest.mark.performance
def test_health_check(benchmark, client: httpx.Client) -> None:
    response = benchmark(client.get, "/health")
    assert response.status_code == 200


@pytest.mark.performance
def test_list_items(benchmark, client: httpx.Client) -> None:
    response = benchmark(client.get, "/api/items", params={"limit": 20})
    assert response.status_code == 200
    assert len(response.json()["items"]) == 20


@pytest.mark.performance
def test_get_item(benchmark, client: httpx.Client) -> None:
    response = benchmark(client.get, "/api/items/7")
    assert response.status_code == 200


@pytest.mark.performance
@pytest.mark.memory_test
def test_paging_through_items_keeps_memory_flat(perfstack_memory, client: httpx.Client) -> None:
    for offset in range(0, 100, 10):
        assert client.get("/api/items", params={"offset": offset, "limit": 10}).is_success
    assert perfstack_memory.rss_growth < 50 * 1024 * 1024
