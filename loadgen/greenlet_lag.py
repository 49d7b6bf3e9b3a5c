"""Greenlet-scheduling lag for Locust processes, for loadgen.health.GeneratorHealth.

The health module's thread ticker waits on a threading.Event, which under gevent's
monkey patching builds a timeout and a waiter per tick; a bare gevent.sleep in a
greenlet measures the same lateness of the hub for a fraction of the CPU. A 0.1 s step
still catches any stall that matters to a load generator (tens of milliseconds up).
"""

from __future__ import annotations

import time

import gevent


class GreenletLagTicker:
    def __init__(self, step: float = 0.1) -> None:
        self.step = step
        self._max_lag = 0.0
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        self._greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        clock, step = time.monotonic, self.step
        while True:
            before = clock()
            gevent.sleep(step)
            lag = clock() - before - step
            if lag > self._max_lag:
                self._max_lag = lag

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)

    def take_max_lag(self) -> float:
        """The largest lateness since the last call (seconds); resets it."""
        value, self._max_lag = self._max_lag, 0.0
        return value
