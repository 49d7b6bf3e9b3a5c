from __future__ import annotations

import gc
from typing import Any

from prometheus_client import CollectorRegistry, GCCollector, ProcessCollector, generate_latest

from exporters.python_gc import GcPauseCollector, install


class StepClock:
    """Every reading is 2 ms after the previous one: each timed pause lasts exactly 2 ms."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.002
        return self.now


def test_pauses_are_timed_per_generation_from_gc_callbacks() -> None:
    registry = CollectorRegistry()
    install(registry, clock=StepClock())
    before = registry.get_sample_value("python_gc_pause_seconds_count", {"generation": "2"}) or 0
    gc.collect()
    gc.collect()
    count = registry.get_sample_value("python_gc_pause_seconds_count", {"generation": "2"})
    total = registry.get_sample_value("python_gc_pause_seconds_sum", {"generation": "2"})
    assert count == before + 2
    assert total is not None and abs(total - 0.002 * count) < 1e-9
    in_5ms = registry.get_sample_value(
        "python_gc_pause_seconds_bucket", {"generation": "2", "le": "0.0025"}
    )
    in_1ms = registry.get_sample_value(
        "python_gc_pause_seconds_bucket", {"generation": "2", "le": "0.001"}
    )
    assert (in_5ms, in_1ms) == (count, 0)


def test_sits_next_to_the_default_process_and_gc_collectors() -> None:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    GCCollector(registry=registry)
    install(registry)
    gc.collect()
    text = generate_latest(registry).decode()
    assert "python_gc_collections_total" in text  # the default collector's
    assert 'python_gc_pause_seconds_count{generation="2"}' in text  # ours
    assert text.count("# TYPE python_gc_pause_seconds ") == 1


def test_one_callback_for_many_registries() -> None:
    for _ in range(5):
        install(CollectorRegistry())
    hooks = [cb for cb in gc.callbacks if getattr(cb, "__module__", "") == "exporters.python_gc"]
    assert len(hooks) == 1


def test_stop_without_start_is_ignored() -> None:
    collector = GcPauseCollector()
    collector.on_gc("stop", {"generation": 0})
    [histogram] = list(collector.collect())
    assert all(s.value == 0 for s in histogram.samples)


def test_demo_target_exposes_gc_pauses(demo_target: Any) -> None:
    text = demo_target.metrics_text()
    assert 'python_gc_pause_seconds_count{generation="0"}' in text
    assert "python_gc_collections_total" in text
