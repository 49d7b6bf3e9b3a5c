"""What `perfstack_memory` measures of the test process over one test: resident memory
(RSS, sampled in a background thread so a peak between two reads is caught), the peak of
Python allocations traced by tracemalloc, and the garbage collections per generation.

The figures are relative to the test's start (growth, collections since, traced peak above
what was traced at the start), so they say what the test did, not what the process held
before it. With `--perfstack` they are series of the session's run (docs/pytest.md,
"Memory"); without it they are still measured and kept on the test (`user_properties`,
so JUnit XML carries them).

psutil is imported when a monitor starts, not with this module: the fixtures plugin loads
in every pytest run of anyone who installs perfstack.
"""

from __future__ import annotations

import gc
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from perfstack.metrics.families import Collector, CounterFamily, GaugeFamily

DEFAULT_INTERVAL = 0.1  # seconds between RSS samples; one read costs tens of microseconds


@dataclass(frozen=True)
class MemoryFigures:
    """One test's memory figures, in bytes and counts."""

    test: str
    rss_start: int
    rss_end: int
    rss_peak: int
    tracemalloc_peak: int  # traced Python allocations at their peak, above the start
    gc_collections: dict[int, int]  # generation -> collections during the test
    samples: int  # RSS readings taken

    @property
    def rss_growth(self) -> int:
        return self.rss_end - self.rss_start

    def user_properties(self) -> list[tuple[str, object]]:
        """For the test's `user_properties` (JUnit XML `<property>`), named like the series."""
        return [
            ("perfstack_memory_resident_bytes", self.rss_end),
            ("perfstack_memory_resident_peak_bytes", self.rss_peak),
            ("perfstack_memory_resident_growth_bytes", self.rss_growth),
            ("perfstack_memory_tracemalloc_peak_bytes", self.tracemalloc_peak),
            *(
                (f"perfstack_gc_collections_generation_{generation}", count)
                for generation, count in sorted(self.gc_collections.items())
            ),
        ]


def _gc_collections() -> dict[int, int]:
    return {
        generation: int(stats["collections"]) for generation, stats in enumerate(gc.get_stats())
    }


def _rss_reader() -> Callable[[], int]:
    import psutil

    process = psutil.Process()
    return lambda: int(process.memory_info().rss)


class MemoryMonitor:
    """Started at a test's setup, stopped at its teardown. The properties read the figures
    so far, so a test can assert on them before it ends (`rss_growth < 100 * MB`)."""

    def __init__(
        self,
        test: str,
        interval: float = DEFAULT_INTERVAL,
        trace: bool = True,
        read_rss: Callable[[], int] | None = None,
        publish: Callable[[], object] | None = None,
        publish_interval: float = 1.0,
    ) -> None:
        if not interval > 0:
            raise ValueError(f"interval {interval!r}: expected seconds > 0")
        self.test = test
        self.interval = interval
        self._trace = trace
        self._read_rss = read_rss
        # called from the sampling thread every publish_interval (the session's push), so
        # the RSS curve reaches Prometheus while the test runs, not only at its end
        self._publish = publish
        self._publish_interval = publish_interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_tracing = False
        self._traced_start = 0
        self._traced_peak = 0
        self._gc_start: dict[int, int] = {}
        self.rss_start = 0
        self._rss_last = 0
        self._rss_peak = 0
        self._samples = 0
        self._final: MemoryFigures | None = None

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> MemoryMonitor:
        if self._read_rss is None:
            self._read_rss = _rss_reader()
        if self._trace:
            if tracemalloc.is_tracing():
                self._traced_start = tracemalloc.get_traced_memory()[0]
            else:
                tracemalloc.start()
                self._started_tracing = True
            tracemalloc.reset_peak()
        self._gc_start = _gc_collections()
        self.rss_start = self._read_rss()
        self._rss_last = self._rss_peak = self.rss_start
        self._samples = 1
        self._thread = threading.Thread(
            target=self._sample_loop, name="perfstack-memory", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> MemoryFigures:
        """The final figures (one last reading); tracing stops if this monitor started it."""
        if self._final is not None:
            return self._final
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()
        figures = self.figures()
        if self._started_tracing:
            tracemalloc.stop()
        self._final = figures
        return figures

    def __enter__(self) -> MemoryMonitor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- readings -----------------------------------------------------------------------
    def sample(self) -> int:
        """Read RSS now (and the traced peak); returns the RSS."""
        assert self._read_rss is not None, "start() the monitor first"
        rss = self._read_rss()
        traced_peak = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else 0
        with self._lock:
            self._rss_last = rss
            self._rss_peak = max(self._rss_peak, rss)
            self._traced_peak = max(self._traced_peak, traced_peak)
            self._samples += 1
        return rss

    def figures(self) -> MemoryFigures:
        """The figures so far (without a new reading)."""
        if self._final is not None:
            return self._final
        now = _gc_collections()
        with self._lock:
            return MemoryFigures(
                test=self.test,
                rss_start=self.rss_start,
                rss_end=self._rss_last,
                rss_peak=self._rss_peak,
                tracemalloc_peak=max(0, self._traced_peak - self._traced_start),
                gc_collections={g: now[g] - self._gc_start.get(g, 0) for g in now},
                samples=self._samples,
            )

    @property
    def rss(self) -> int:
        """RSS now (a new reading)."""
        return self._final.rss_end if self._final is not None else self.sample()

    @property
    def rss_peak(self) -> int:
        if self._final is None:
            self.sample()
        return self.figures().rss_peak

    @property
    def rss_growth(self) -> int:
        """RSS now minus RSS at the test's start (a new reading), in bytes."""
        if self._final is None:
            self.sample()
        return self.figures().rss_growth

    @property
    def tracemalloc_peak(self) -> int:
        if self._final is None:
            self.sample()
        return self.figures().tracemalloc_peak

    @property
    def gc_collections(self) -> dict[int, int]:
        return self.figures().gc_collections

    def _sample_loop(self) -> None:
        published = time.monotonic()
        while not self._stop.wait(self.interval):
            self.sample()
            if self._publish is not None and time.monotonic() - published >= self._publish_interval:
                published = time.monotonic()
                self._publish()


class MemoryCollector(Collector):
    """The memory series of a session's tests, one label set per test: live monitors
    report their figures so far, finished ones their final figures (kept for the rest of
    the session, so the last push still carries them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[str, MemoryMonitor] = {}
        self._done: dict[str, MemoryFigures] = {}

    def watch(self, monitor: MemoryMonitor) -> None:
        with self._lock:
            self._live[monitor.test] = monitor

    def finish(self, figures: MemoryFigures) -> None:
        with self._lock:
            self._live.pop(figures.test, None)
            self._done[figures.test] = figures

    def collect(self) -> Iterator[Any]:
        with self._lock:
            live = list(self._live.values())
            done = list(self._done.values())
        every = done + [monitor.figures() for monitor in live]
        resident = GaugeFamily(
            "pytest_memory_resident_bytes", "RSS of the test process at the last reading.",
            labels=("test",),
        )  # fmt: skip
        peak = GaugeFamily(
            "pytest_memory_resident_peak_bytes", "Highest RSS read during the test.",
            labels=("test",),
        )  # fmt: skip
        growth = GaugeFamily(
            "pytest_memory_resident_growth_bytes",
            "RSS at the last reading minus RSS at the test's start.",
            labels=("test",),
        )
        traced = GaugeFamily(
            "pytest_memory_tracemalloc_peak_bytes",
            "Peak of Python allocations traced by tracemalloc during the test, above the start.",
            labels=("test",),
        )
        collections = CounterFamily(
            "pytest_gc_collections_total",
            "Garbage collections during the test, per generation.",
            labels=("test", "generation"),
        )
        for figures in every:
            resident.add_metric((figures.test,), figures.rss_end)
            peak.add_metric((figures.test,), figures.rss_peak)
            growth.add_metric((figures.test,), figures.rss_growth)
            traced.add_metric((figures.test,), figures.tracemalloc_peak)
            for generation, count in sorted(figures.gc_collections.items()):
                collections.add_metric((figures.test, str(generation)), count)
        yield from (resident, peak, growth, traced, collections)

    def describe(self) -> Iterator[Any]:
        for name, family in (
            ("pytest_memory_resident_bytes", GaugeFamily),
            ("pytest_memory_resident_peak_bytes", GaugeFamily),
            ("pytest_memory_resident_growth_bytes", GaugeFamily),
            ("pytest_memory_tracemalloc_peak_bytes", GaugeFamily),
            ("pytest_gc_collections_total", CounterFamily),
        ):
            yield family(name, "")
