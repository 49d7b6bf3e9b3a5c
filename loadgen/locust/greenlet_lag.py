"""Greenlet-scheduling lag for Locust processes, for perfstack.metrics.health.GeneratorHealth.

Every periodic wake-up of a gevent process costs far more CPU than its Python work
(measured here: ~1 ms of kernel-accounted CPU per wake-up at 10 Hz, ~0 at 2 Hz), so the
plugin keeps one periodic greenlet for everything it samples: each tick measures how late
it woke up (the hub's lag) and runs `on_tick` (the users gauge). A 0.5 s step still shows
sustained lag, which is what makes a generator's latencies unreliable.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import gevent


class GreenletLagTicker:
    def __init__(self, step: float = 0.5, on_tick: Callable[[], None] | None = None) -> None:
        self.step = step
        self.on_tick = on_tick
        self._max_lag = 0.0
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        if self._greenlet is None:
            self._greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        clock, step = time.monotonic, self.step
        while True:
            before = clock()
            gevent.sleep(step)
            lag = clock() - before - step
            if lag > self._max_lag:
                self._max_lag = lag
            if self.on_tick is not None:
                self.on_tick()

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)

    def take_max_lag(self) -> float:
        """The largest lateness since the last call (seconds); resets it."""
        value, self._max_lag = self._max_lag, 0.0
        return value
