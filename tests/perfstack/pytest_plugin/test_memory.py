from __future__ import annotations

import gc
import itertools
import threading
import time
import tracemalloc

import pytest

from perfstack.metrics.registry import Registry
from perfstack.pytest_plugin.memory import MemoryCollector, MemoryMonitor

MiB = 1 << 20


def scripted_rss(*values: int) -> tuple[MemoryMonitor, threading.Event]:
    """A monitor reading RSS from a script (the last value repeats), and an event set once
    the sampling thread took the script's peak."""
    readings = itertools.chain(values, itertools.repeat(values[-1]))
    taken, peak = threading.Event(), max(values)

    def read() -> int:
        value = next(readings)
        if value == peak:
            taken.set()
        return value

    return MemoryMonitor("t", interval=0.001, trace=False, read_rss=read), taken


def test_a_peak_between_the_tests_own_readings_is_caught_by_the_sampling_thread() -> None:
    monitor, taken = scripted_rss(100 * MiB, 180 * MiB, 120 * MiB)
    monitor.start()
    assert taken.wait(5)
    figures = monitor.stop()
    assert (figures.rss_start, figures.rss_peak, figures.rss_end) == (
        100 * MiB,
        180 * MiB,
        120 * MiB,
    )
    assert figures.rss_growth == 20 * MiB
    assert figures.samples >= 3


def test_the_real_process_grows_by_what_the_test_keeps() -> None:
    with MemoryMonitor("t") as monitor:
        kept = [bytearray(MiB) for _ in range(32)]
        assert monitor.rss_growth >= 24 * MiB
        assert monitor.tracemalloc_peak >= 32 * MiB
    assert len(kept) == 32


def test_tracing_stops_after_the_test_unless_it_was_on_before() -> None:
    assert not tracemalloc.is_tracing()
    MemoryMonitor("t").start().stop()
    assert not tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        before = [bytearray(MiB) for _ in range(8)]  # traced before the test: not its own
        with MemoryMonitor("t") as monitor:
            during = [bytearray(MiB) for _ in range(4)]
        assert tracemalloc.is_tracing()
        assert 4 * MiB <= monitor.figures().tracemalloc_peak < 8 * MiB
        del before, during
    finally:
        tracemalloc.stop()


def test_collections_count_from_the_tests_start() -> None:
    gc.collect()
    with MemoryMonitor("t", trace=False) as monitor:
        for _ in range(3):
            gc.collect()
    assert monitor.figures().gc_collections[2] == 3


def test_a_monitor_needs_a_positive_interval() -> None:
    with pytest.raises(ValueError, match="interval"):
        MemoryMonitor("t", interval=0)


def test_the_live_figures_are_published_while_the_test_runs() -> None:
    published = threading.Event()
    monitor = MemoryMonitor(
        "t", interval=0.01, trace=False, publish=published.set, publish_interval=0.02
    )
    with monitor:
        assert published.wait(5)


def test_the_collector_reports_live_and_finished_tests_once_each() -> None:
    collector = MemoryCollector()
    registry = Registry()
    registry.register(collector)
    monitor, _ = scripted_rss(10 * MiB, 30 * MiB)
    collector.watch(monitor.start())
    time.sleep(0.01)
    assert registry.get_sample_value("pytest_memory_resident_peak_bytes", {"test": "t"}) in (
        10 * MiB,
        30 * MiB,
    )
    figures = monitor.stop()
    collector.finish(figures)
    assert registry.get_sample_value("pytest_memory_resident_peak_bytes", {"test": "t"}) == 30 * MiB
    assert (
        registry.get_sample_value("pytest_memory_resident_growth_bytes", {"test": "t"}) == 20 * MiB
    )
    names = [s.name for family in registry.collect() for s in family.samples]
    assert names.count("pytest_memory_resident_bytes") == 1
    assert names.count("pytest_gc_collections_total") == 3  # one per generation
