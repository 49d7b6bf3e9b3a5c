"""The leak knob grows the target's real RSS at about the set rate; release gives it back."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import psutil

from demo.leak import Leak
from tests.demo.promtext import sample_value
from tests.fixtures.demo_target import DemoTarget
from tests.helpers import wait_until

MB = 1_000_000


def rss(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss)


def test_leak_rate_grows_rss(demo_target_factory: Callable[..., DemoTarget]) -> None:
    target = demo_target_factory()
    before = rss(target.pid)
    target.set_knobs(leak_bytes_per_second="20MB")
    time.sleep(3)
    target.set_knobs(leak_bytes_per_second=0)
    grown = rss(target.pid) - before
    leaked = target.get_knobs()["leaked_bytes"]
    assert grown >= 40 * MB, f"RSS grew {grown / MB:.1f} MB"
    assert 50 * MB <= leaked <= 90 * MB  # 20 MB/s for ~3 s (plus request overheads)
    assert grown >= 0.8 * leaked  # retained bytes are resident, not lazily mapped
    assert sample_value(target.metrics_text(), "demo_leaked_bytes") == leaked


def test_release_returns_the_memory(demo_target_factory: Callable[..., DemoTarget]) -> None:
    target = demo_target_factory(leak_bytes_per_second="30MB")
    wait_until(lambda: target.get_knobs()["leaked_bytes"] >= 45 * MB, timeout=10)
    target.set_knobs(leak_bytes_per_second=0)
    peak = rss(target.pid)
    released = release(target)
    assert released >= 45 * MB
    assert target.get_knobs()["leaked_bytes"] == 0
    assert peak - rss(target.pid) >= 0.8 * released


def release(target: DemoTarget) -> int:
    response = httpx.post(f"{target.url}/admin/leak/release", timeout=5)
    response.raise_for_status()
    return int(response.json()["released_bytes"])


def test_leak_counts_whole_bytes() -> None:
    leak = Leak()
    leak.grow(1000)
    leak.grow(0)
    leak.grow(24)
    assert leak.retained_bytes == 1024
    assert leak.release() == 1024 and leak.retained_bytes == 0
