"""Garbage-collector activity of the Python process it runs in, for prometheus_client.

prometheus_client's own GCCollector already reports, per generation, collections
(`python_gc_collections_total`) and objects collected / uncollectable, from
`gc.get_stats()`; it does not say how long collections paused the program, which is what
shows up as request latency. This collector times every collection with `gc.callbacks` (a
"start" and a "stop" call around each one) and exposes one histogram per generation:

- `python_gc_pause_seconds{generation}`: `_sum` is the total pause time, `_count` the
  collections timed (equal to the default collector's count since install), `_bucket`
  the distribution (100 us .. 1 s).

Use: `exporters.python_gc.install(registry)`, next to the default ProcessCollector and
GCCollector (no name is shared with them).
"""

from __future__ import annotations

import bisect
import gc
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

GENERATIONS = ("0", "1", "2")
# GC pauses range from microseconds (young generation) to hundreds of ms (full, big heaps).
PAUSE_BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class GcPauseCollector(Collector):
    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._started: float | None = None
        # No lock: `collect` allocates, an allocation can run a collection in the scraping
        # thread, and its callback would then wait forever on a lock that thread holds.
        # The interpreter runs one collection (and so one `on_gc`) at a time, so the callback
        # is the only writer; it replaces a generation's (sum, buckets) pair whole, and a
        # reader that takes the pair in one lookup sees a consistent histogram.
        self._pauses: dict[str, tuple[float, tuple[int, ...]]] = {
            g: (0.0, (0,) * (len(PAUSE_BUCKETS) + 1)) for g in GENERATIONS
        }

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        """The `gc.callbacks` hook. Runs inside the collector: no allocation-heavy work here."""
        if phase == "start":
            self._started = self._clock()
            return
        if self._started is None:
            return  # installed mid-collection
        pause = self._clock() - self._started
        self._started = None
        generation = str(info.get("generation", 2))
        if generation not in self._pauses:
            return
        pause_sum, buckets = self._pauses[generation]
        counts = list(buckets)
        counts[bisect.bisect_left(PAUSE_BUCKETS, pause)] += 1  # first bound >= pause: "le"
        self._pauses[generation] = (pause_sum + pause, tuple(counts))

    def collect(self) -> Iterator[Metric]:
        histogram = HistogramMetricFamily(
            "python_gc_pause_seconds",
            "GC pause durations, by generation.",
            labels=["generation"],
        )
        for generation in GENERATIONS:
            pause_sum, buckets = self._pauses[generation]
            cumulative, rows = 0, []
            for bound, count in zip((*PAUSE_BUCKETS, float("inf")), buckets, strict=True):
                cumulative += count
                rows.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
            histogram.add_metric([generation], rows, sum_value=pause_sum)
        yield histogram


# One gc.callbacks hook per process, fanning out to the live collectors: apps built many
# times in one process (tests) must not pile up callbacks, and a collector whose registry
# is gone must stop costing anything.
_live: weakref.WeakSet[GcPauseCollector] = weakref.WeakSet()


def _dispatch(phase: str, info: dict[str, Any]) -> None:
    for collector in list(_live):
        collector.on_gc(phase, info)


def install(
    registry: CollectorRegistry, clock: Callable[[], float] = time.perf_counter
) -> GcPauseCollector:
    """Register a GC pause collector in `registry`; it is fed by one shared gc callback."""
    collector = GcPauseCollector(clock)
    registry.register(collector)
    _live.add(collector)
    if _dispatch not in gc.callbacks:
        gc.callbacks.append(_dispatch)
    return collector
