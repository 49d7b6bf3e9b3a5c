"""The generator's own health: CPU, memory, scheduling lag, saturation, pusher counters.

A load generator that is out of CPU measures its own queueing, not the target's latency.
These series let dashboards and the gate tell the two apart: `loadgen_generator_saturated`
turns 1 when this process used more than 90% of one core over the last 10 s.

Lag is measured by a ticker that sleeps a fixed step and records how much later than
asked it woke up. The ticker is pluggable because the scheduler differs: a greenlet under
Locust (loadgen.locust.greenlet_lag) or an asyncio task (AsyncioLagTicker, below).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import psutil

from perfstack.metrics.families import Collector, CounterFamily, GaugeFamily
from perfstack.metrics.registry import Registers


class LagTicker(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def take_max_lag(self) -> float: ...


class _LagWindow:
    def __init__(self) -> None:
        self._max = 0.0
        self._lock = threading.Lock()

    def record(self, lag: float) -> None:
        with self._lock:
            self._max = max(self._max, lag)

    def take(self) -> float:
        with self._lock:
            value, self._max = self._max, 0.0
            return value


class AsyncioLagTicker:
    """Lag of an asyncio event loop; start() must be called from within the loop."""

    def __init__(self, step: float = 0.05) -> None:
        self.step, self._window = step, _LagWindow()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.step)
            self._window.record(max(0.0, loop.time() - before - self.step))

    def stop(self) -> None:
        if self._task:
            self._task.cancel()

    def take_max_lag(self) -> float:
        return self._window.take()


class GeneratorHealth(Collector):
    """Collector of this process's CPU, RSS, lag and saturation (register it in a registry)."""

    def __init__(
        self,
        registry: Registers | None = None,
        ticker: LagTicker | None = None,
        process: Any = None,
        clock: Callable[[], float] = time.monotonic,
        saturation_threshold: float = 0.9,
        saturation_window: float = 10.0,
        min_interval: float = 0.5,
    ) -> None:
        self._process = process or psutil.Process()
        self._ticker = ticker
        self._clock = clock
        self.saturation_threshold = saturation_threshold
        self.saturation_window = saturation_window
        self.min_interval = min_interval
        self._last = (0.0, False)
        self._history: deque[tuple[float, float]] = deque()
        self._lock = threading.Lock()
        self.was_saturated = False  # sticky: for the run record
        # another reason the generator cannot keep up, asked at each collection: an
        # arrival-rate run starting fewer iterations than its schedule asks
        self.behind: Callable[[], bool] | None = None
        self.max_utilization = 0.0
        if ticker:
            ticker.start()
        if registry is not None:
            registry.register(self)

    def close(self) -> None:
        if self._ticker:
            self._ticker.stop()

    def _cpu_seconds(self) -> float:
        times = self._process.cpu_times()
        return float(times.user + times.system)

    def _utilization_and_saturation(self, now: float, cpu: float) -> tuple[float, bool]:
        history = self._history
        previous = history[-1] if history else None
        if previous and now - previous[0] < self.min_interval:
            # Collected again right away (a flush, or push and pull both): a rate over a
            # few milliseconds would be noise, so repeat the last figures.
            return self._last
        history.append((now, cpu))
        while len(history) > 2 and now - history[1][0] >= self.saturation_window:
            history.popleft()
        utilization = 0.0
        if previous and now > previous[0]:
            utilization = (cpu - previous[1]) / (now - previous[0])
        oldest_t, oldest_cpu = history[0]
        span = now - oldest_t
        saturated = (
            span >= self.saturation_window * 0.95
            and (cpu - oldest_cpu) / span > self.saturation_threshold
        )
        self._last = (utilization, saturated)
        return self._last

    def collect(self) -> Iterator[Any]:
        with self._lock:
            now, cpu = self._clock(), self._cpu_seconds()
            utilization, saturated = self._utilization_and_saturation(now, cpu)
            saturated = saturated or (self.behind is not None and self.behind())
            self.max_utilization = max(self.max_utilization, utilization)
            self.was_saturated = self.was_saturated or saturated
        rss = float(self._process.memory_info().rss)
        lag = self._ticker.take_max_lag() if self._ticker else 0.0
        yield CounterFamily(
            "loadgen_generator_cpu_seconds", "CPU time used by this generator process.", cpu
        )
        yield GaugeFamily(
            "loadgen_generator_cpu_utilization_ratio",
            "CPU used by this generator since the previous collection, as a share of one core.",
            utilization,
        )
        yield GaugeFamily(
            "loadgen_generator_resident_memory_bytes", "Resident memory of this generator.", rss
        )
        yield GaugeFamily(
            "loadgen_generator_loop_lag_seconds",
            "Largest scheduling lag of the generator's event loop/greenlets since last collection.",
            lag,
        )
        yield GaugeFamily(
            "loadgen_generator_saturated",
            "1 when the generator used more than 90% of one core over the last 10 s, or (arrival"
            " stages) started fewer than 95% of the iterations due in the last 10 s.",
            1.0 if saturated else 0.0,
        )


class PusherCountersCollector(Collector):
    """`loadgen_samples_dropped_total{reason}` and `loadgen_remote_write_requests_total{result}`
    from a pusher's stats (anything with samples_dropped, pushes_ok, pushes_failed)."""

    def __init__(self, stats: Callable[[], Any]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Any]:
        stats = self._stats()
        dropped = CounterFamily(
            "loadgen_samples_dropped",
            "Samples the remote-write pusher gave up on, by reason.",
            labels=["reason"],
        )
        for reason, count in sorted(stats.samples_dropped.items()):
            dropped.add_metric([reason], count)
        yield dropped
        requests = CounterFamily(
            "loadgen_remote_write_requests",
            "Remote-write requests by result (failure: will be retried).",
            labels=["result"],
        )
        requests.add_metric(["success"], stats.pushes_ok)
        requests.add_metric(["failure"], stats.pushes_failed)
        yield requests
