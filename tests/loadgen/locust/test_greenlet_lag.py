from __future__ import annotations

import time

import gevent

from loadgen.locust.greenlet_lag import GreenletLagTicker


def test_a_blocked_hub_shows_as_lag_and_reading_resets_it():
    ticker = GreenletLagTicker(step=0.05)
    ticker.start()
    try:
        gevent.sleep(0.12)  # let it tick unblocked
        ticker.take_max_lag()
        gevent.sleep(0.01)  # the ticker is now asleep inside its step
        time.sleep(0.3)  # blocks every greenlet, as a CPU-bound task would
        gevent.sleep(0.1)
        assert ticker.take_max_lag() >= 0.2
        assert ticker.take_max_lag() == 0.0
    finally:
        ticker.stop()


def test_each_tick_runs_the_callback():
    ticks: list[int] = []
    ticker = GreenletLagTicker(step=0.02, on_tick=lambda: ticks.append(1))
    ticker.start()
    try:
        gevent.sleep(0.15)
    finally:
        ticker.stop()
    assert len(ticks) >= 3
