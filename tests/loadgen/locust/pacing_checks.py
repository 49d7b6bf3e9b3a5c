"""Closed-model compensation: Locust's pacing wait functions are recognised, and the
replacement keeps a grid, catching up after a stall with each iteration's lag recorded.

Run by test_pacing.py in a pytest process of its own: importing Locust monkey-patches the
process with gevent, which breaks ssl once the suite's other modules have imported it."""

from __future__ import annotations

import time

import gevent
import pytest
from locust import User, between, constant, constant_pacing, constant_throughput

from loadgen.locust.lag import current_lag_ms
from loadgen.locust.pacing import arm_user_classes, paced, pacing_interval


def test_pacing_interval_of_locusts_wait_functions():
    assert pacing_interval(constant_pacing(2)) == 2.0
    assert pacing_interval(constant_throughput(4)) == 0.25
    for other in (constant(1), between(1, 2), lambda user: 1.0, None):
        assert pacing_interval(other) is None


def test_only_paced_user_classes_are_armed():
    class Paced(User):
        abstract = True
        wait_time = constant_throughput(10)

    class Inherits(Paced):
        abstract = True

    class Plain(User):
        abstract = True
        wait_time = constant(1)

    assert arm_user_classes([Paced, Inherits, Plain]) == ["Paced", "Inherits"]
    assert Paced.wait_time.perfstack_interval == pytest.approx(0.1)  # type: ignore[attr-defined]
    assert Plain.wait_time is not None and pacing_interval(Plain.wait_time) is None


def test_a_user_behind_its_grid_catches_up_and_each_iteration_carries_its_lag():
    wait = paced(0.1)

    class FakeUser:
        def __init__(self) -> None:
            self._cp_last_run = time.perf_counter()  # as Locust's User.__init__ sets it

    def run() -> list[tuple[float, float | None]]:
        user, seen = FakeUser(), []
        time.sleep(0.35)  # the first task took 3.5 intervals (a stalled target)
        for _ in range(4):
            pause = wait(user)
            seen.append((pause, current_lag_ms()))
            gevent.sleep(pause)
        return seen

    seen = gevent.spawn(run).get(timeout=5)
    lags = [lag for _, lag in seen]
    # slots at +0.1, +0.2, +0.3 after the user's start are overdue by ~250, 150, 50 ms: run
    # at once, each with its lag
    assert [pause for pause, _ in seen[:3]] == [0.0, 0.0, 0.0]
    assert lags[0] == pytest.approx(250, abs=30) and lags[1] == pytest.approx(150, abs=30)
    assert lags[2] == pytest.approx(50, abs=30)
    # the slot at +0.4 is ahead again: waited for, no lag
    assert seen[3][0] > 0.0 and lags[3] == 0.0


def test_a_user_on_time_waits_as_locusts_own_pacing_would():
    wait = paced(0.2)

    class FakeUser:
        def __init__(self) -> None:
            self._cp_last_run = time.perf_counter()

    def run() -> tuple[float, float | None]:
        user = FakeUser()
        time.sleep(0.05)  # a first task of 50 ms
        return wait(user), current_lag_ms()

    pause, lag = gevent.spawn(run).get(timeout=5)
    assert pause == pytest.approx(0.15, abs=0.03) and lag == 0.0
