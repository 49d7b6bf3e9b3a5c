from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from perfstack.metrics.health import AsyncioLagTicker, GeneratorHealth, PusherCountersCollector


class _FakeProcess:
    def __init__(self) -> None:
        self.cpu = 0.0

    def cpu_times(self) -> SimpleNamespace:
        return SimpleNamespace(user=self.cpu * 0.75, system=self.cpu * 0.25)

    def memory_info(self) -> SimpleNamespace:
        return SimpleNamespace(rss=123_456_789)


def _collect(registry: CollectorRegistry) -> dict[str, float]:
    return {s.name: s.value for family in registry.collect() for s in family.samples}


def test_cpu_utilisation_and_sustained_saturation() -> None:
    now = [1000.0]
    process = _FakeProcess()
    registry = CollectorRegistry()
    health = GeneratorHealth(registry, process=process, clock=lambda: now[0])
    saturated = []
    for _second in range(12):  # 95% of a core for 12 s, one collection per second
        now[0] += 1.0
        process.cpu += 0.95
        values = _collect(registry)
        saturated.append(values["loadgen_generator_saturated"])
    assert values["loadgen_generator_cpu_utilization_ratio"] == pytest.approx(0.95)
    assert values["loadgen_generator_cpu_seconds_total"] == pytest.approx(12 * 0.95)
    assert values["loadgen_generator_resident_memory_bytes"] == 123_456_789
    now[0] += 0.01  # an immediate second collection repeats the figures
    assert _collect(registry)["loadgen_generator_cpu_utilization_ratio"] == pytest.approx(0.95)
    # not before the window (10 s) is covered, then on
    assert saturated[:9] == [0.0] * 9 and saturated[10:] == [1.0, 1.0]
    for _second in range(3):  # back to 20%: the 10 s average falls below 90%
        now[0] += 1.0
        process.cpu += 0.2
        last = _collect(registry)["loadgen_generator_saturated"]
    assert last == 0.0 and health.was_saturated
    assert health.max_utilization == pytest.approx(0.95)


def test_brief_spikes_do_not_count_as_saturation() -> None:
    now = [0.0]
    process = _FakeProcess()
    registry = CollectorRegistry()
    health = GeneratorHealth(registry, process=process, clock=lambda: now[0])
    for second in range(30):
        now[0] += 1.0
        process.cpu += 1.0 if second % 5 == 0 else 0.5  # 100% one second in five
        assert _collect(registry)["loadgen_generator_saturated"] == 0.0
    assert not health.was_saturated


def test_real_process_figures() -> None:
    registry = CollectorRegistry()
    GeneratorHealth(registry)
    sum(i * i for i in range(200_000))
    values = _collect(registry)
    assert values["loadgen_generator_cpu_seconds_total"] > 0
    assert values["loadgen_generator_resident_memory_bytes"] > 10_000_000
    assert values["loadgen_generator_loop_lag_seconds"] == 0.0  # no ticker given


def test_asyncio_ticker_sees_a_blocked_loop() -> None:
    async def scenario() -> tuple[float, float]:
        ticker = AsyncioLagTicker(step=0.02)
        ticker.start()
        await asyncio.sleep(0.1)
        quiet = ticker.take_max_lag()
        time.sleep(0.4)  # blocks the loop
        await asyncio.sleep(0.1)
        blocked = ticker.take_max_lag()
        ticker.stop()
        return quiet, blocked

    quiet, blocked = asyncio.run(scenario())
    assert blocked >= 0.3 and blocked > quiet


def test_pusher_counters_collector() -> None:
    stats = SimpleNamespace(
        samples_dropped={"buffer_full": 7, "rejected": 0}, pushes_ok=5, pushes_failed=2
    )
    registry = CollectorRegistry()
    registry.register(PusherCountersCollector(lambda: stats))
    text = generate_latest(registry).decode()
    assert 'loadgen_samples_dropped_total{reason="buffer_full"} 7.0' in text
    assert 'loadgen_remote_write_requests_total{result="success"} 5.0' in text
    assert 'loadgen_remote_write_requests_total{result="failure"} 2.0' in text
