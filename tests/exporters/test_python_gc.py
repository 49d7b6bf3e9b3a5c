from __future__ import annotations

import gc
import threading
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


def counts_and_collections(collector: GcPauseCollector) -> tuple[list[float], list[int]]:
    """Timed collections per generation, and the interpreter's own count, read with no
    collection in between."""
    gc.disable()
    try:
        [histogram] = list(collector.collect())
        collections = [stats["collections"] for stats in gc.get_stats()]
    finally:
        gc.enable()
    counts = [s.value for s in histogram.samples if s.name == "python_gc_pause_seconds_count"]
    return counts, collections


def test_a_scrape_survives_collections_it_triggers_itself() -> None:
    """With a threshold of 1 every allocation in `collect` runs a collection in the scraping
    thread, whose callback then updates the very collector being scraped."""
    collector = install(CollectorRegistry())
    counts_before, collections_before = counts_and_collections(collector)
    scrapes = 0

    def scrape() -> None:
        nonlocal scrapes
        for _ in range(50):
            list(collector.collect())
            scrapes += 1

    thresholds = gc.get_threshold()
    gc.set_threshold(1)
    try:
        scraper = threading.Thread(target=scrape, daemon=True)
        scraper.start()
        scraper.join(timeout=10)
    finally:
        gc.set_threshold(*thresholds)
    assert not scraper.is_alive(), "a scrape deadlocked on its own gc callback"
    assert scrapes == 50
    counts, collections = counts_and_collections(collector)
    timed = [after - before for before, after in zip(counts_before, counts, strict=True)]
    happened = [
        after - before for before, after in zip(collections_before, collections, strict=True)
    ]
    assert timed == happened  # each collection timed once: none lost, none doubled


def test_demo_target_exposes_gc_pauses(demo_target: Any) -> None:
    text = demo_target.metrics_text()
    assert 'python_gc_pause_seconds_count{generation="0"}' in text
    assert "python_gc_collections_total" in text
