"""Arrival-rate stages under Locust: a scheduler releases iteration tickets at the intended
times of the run's schedule (loadgen/arrival.py), and a pool of Locust users takes them.

Each user's `wait_time` is replaced by "wait for the next ticket" (and its `on_start` ends
with the same wait), so one iteration is one task execution of the locustfile's users,
started when the schedule says, not when the previous one ended. A ticket that finds no
user waiting at its intended time is a dropped iteration: counted, never started late
(k6's `dropped_iterations`, Gatling's open injection). This process plays slots part,
part + parts, ... of the one global schedule.

Every ticket carries how late it was handed over (`perfstack_lag_ms` on the user's
greenlet, read by the request recorder for corrected latency: loadgen/locust/lag.py).

What a ticket costs is what sets the open model's price against Locust's own closed
model (bench/bench_open_model.py), so the hand-over is lean: the tickets the scheduler
releases at one wake-up reach their users through one hub callback, and a user that got
its ticket goes straight on to its task instead of Locust's `sleep(0)` (one more round
trip through the hub per iteration).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gevent
from gevent import getcurrent
from gevent.hub import Waiter, get_hub

from loadgen.arrival import ArrivalSchedule, worst_shortfall
from loadgen.locust.lag import ATTRIBUTE as LAG_ATTRIBUTE
from loadgen.locust.lag import set_lag


@dataclass
class TicketCounts:
    """Per process: what was scheduled, started and dropped, and per whole second of the
    schedule (intended second for scheduled, actual second for started) for the honesty
    check (loadgen.arrival.worst_shortfall)."""

    scheduled: int = 0
    started: int = 0
    dropped: int = 0
    max_lag: float = 0.0  # seconds: the latest a ticket was handed over after its time
    scheduled_by_second: dict[int, int] = field(default_factory=dict)
    started_by_second: dict[int, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "scheduled": self.scheduled,
            "started": self.started,
            "dropped": self.dropped,
            "max_lag": self.max_lag,
            "scheduled_by_second": {str(k): v for k, v in self.scheduled_by_second.items()},
            "started_by_second": {str(k): v for k, v in self.started_by_second.items()},
        }

    def add(self, other: dict[str, Any]) -> None:
        """Add a process's counts (to_json of another) into these."""
        self.scheduled += int(other.get("scheduled", 0))
        self.started += int(other.get("started", 0))
        self.dropped += int(other.get("dropped", 0))
        self.max_lag = max(self.max_lag, float(other.get("max_lag", 0.0)))
        for key, into in (
            ("scheduled_by_second", self.scheduled_by_second),
            ("started_by_second", self.started_by_second),
        ):
            for second, count in dict(other.get(key, {})).items():
                into[int(second)] = into.get(int(second), 0) + int(count)

    def shortfall(self, upto: int | None = None) -> float:
        """Worst 10 s shortfall of started against scheduled, over the whole seconds
        before `upto` (all of them when None)."""
        scheduled = self.scheduled_by_second
        if upto is not None:
            scheduled = {k: v for k, v in scheduled.items() if k < upto}
        return worst_shortfall(scheduled, self.started_by_second)


class TicketPool:
    """Users waiting for a ticket, first come first served.

    A user waits on gevent's bare `Waiter`, switched to from a hub callback: an
    `AsyncResult` per ticket cost about twice as much CPU (bench/bench_open_model.py)."""

    def __init__(self) -> None:
        self.waiting: deque[Waiter] = deque()
        # intended times of slots released early that found no user waiting: the first
        # user free before a slot's time takes it, else it is dropped at its time
        self.offered: deque[float] = deque()
        self.counts = TicketCounts()
        self.epoch: float | None = None
        self._hub = get_hub()
        # tickets released since the hub last handed them over: (user's waiter, lag in s)
        self._handing: list[tuple[Waiter, float]] = []

    def take(self) -> float:
        """Block until a ticket comes; its lag (seconds late) is returned. A ticket already
        released early for a slot still ahead is taken at once. A user killed while
        waiting (the run stops) leaves the queue, so no ticket goes to it."""
        if self.offered and self._take_offered(time.time()):
            return 0.0
        waiter: Waiter = Waiter()
        self.waiting.append(waiter)
        try:
            return float(waiter.get())
        except BaseException:
            with contextlib.suppress(ValueError):  # already handed a ticket
                self.waiting.remove(waiter)
            raise

    def release(self, intended: float, now: float) -> None:
        """The ticket of the slot due at `intended` (wall clock). With no user waiting, a
        slot still ahead stays on offer until its time (expire), a slot due is dropped.
        A slot counts as scheduled once it is started or dropped, so one cut off by the run's
        stop while on offer counts as neither."""
        if not self.waiting:
            if intended > now:
                self.offered.append(intended)
            else:
                self._count(intended, None)
            return
        lag = max(0.0, now - intended)
        self._count(intended, now)
        if lag > self.counts.max_lag:
            self.counts.max_lag = lag
        if not self._handing:  # the first of this batch: one hub callback hands all over
            self._hub.loop.run_callback(self._hand_over)
        self._handing.append((self.waiting.popleft(), lag))

    def expire(self, now: float) -> None:
        """Drop the slots on offer whose time has come with no user taking them."""
        offered = self.offered
        while offered and offered[0] <= now:
            self._count(offered.popleft(), None)

    def _take_offered(self, now: float) -> bool:
        self.expire(now)
        if not self.offered:
            return False
        self._count(self.offered.popleft(), now)
        return True

    def _count(self, intended: float, started: float | None) -> None:
        """A slot scheduled, and started at `started` (None: dropped)."""
        counts = self.counts
        epoch = self.epoch if self.epoch is not None else intended
        counts.scheduled += 1
        second = int(intended - epoch)
        counts.scheduled_by_second[second] = counts.scheduled_by_second.get(second, 0) + 1
        if started is None:
            counts.dropped += 1
            return
        counts.started += 1
        second = int(started - epoch)
        counts.started_by_second[second] = counts.started_by_second.get(second, 0) + 1

    def _hand_over(self) -> None:
        """On the hub: wake each user a ticket went to, in release order, unless the run's
        stop killed it since. Each switch returns here once that user blocks (its request
        in flight); Waiter.switch reports a user's error to the hub and carries on."""
        handing, self._handing = self._handing, []
        for waiter, lag in handing:
            user = waiter.greenlet
            if user is None or not user.dead:
                waiter.switch(lag)


# slots closer together than DENSE_SECONDS (above 200 arrivals a second per process) are
# released in batches, every slot due within BATCH_SECONDS of a wake-up at once; sparser
# ones each at its own time
DENSE_SECONDS = 0.005
BATCH_SECONDS = 0.02


class Scheduler:
    """Plays this process's slots of the schedule from `epoch` (wall clock)."""

    def __init__(self, schedule: ArrivalSchedule, part: int, parts: int, pool: TicketPool):
        self.schedule, self.part, self.parts, self.pool = schedule, part, parts, pool
        self._greenlet: gevent.Greenlet | None = None
        self.finished = False

    def start(self, epoch: float) -> None:
        self.pool.epoch = epoch
        self._greenlet = gevent.spawn(self._play, epoch)

    def _play(self, epoch: float) -> None:
        pool = self.pool
        clock, sleep, release = time.time, gevent.sleep, pool.release
        previous = -math.inf
        for offset in self.schedule.offsets(self.part, self.parts):
            due = epoch + offset
            ahead = BATCH_SECONDS if due - previous < DENSE_SECONDS else 0.0
            previous = due
            now = clock()
            if due - now > ahead:
                sleep(due - now)
                now = clock()
                pool.expire(now)
            # Dense slots due within BATCH_SECONDS are released now, early: on a VM each
            # time the idle process is woken costs more CPU than an iteration's own
            # request, so they come in batches (bench/bench_open_model.py). The rate holds
            # over any longer window, an early ticket has no lag (corrected latency is not
            # touched), and one no user takes is dropped only at its own time (expire).
            # A hub that woke us late releases every slot now due at once, each with its
            # own intended time: the lag shows in corrected latency, not in the count.
            release(due, now)
        if pool.offered:
            sleep(max(0.0, pool.offered[-1] - clock()))
            # every slot still on offer has had its time (a timer may fire a hair before
            # the wall clock reaches it): none left uncounted when the share is played
            pool.expire(math.inf)
        self.finished = True

    def join(self) -> None:
        if self._greenlet is not None:
            self._greenlet.join()

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)


class _Started(float):
    """The wait_time of a user whose ticket came: zero, and no sleep at all (_sleep)."""


STARTED = _Started(0.0)
TASKSET_SLEEP = "TaskSet._sleep"


def skip_sleep_after_tickets() -> bool:
    """Make Locust's TaskSet skip its `gevent.sleep(0)` after a wait_time of STARTED (the
    user has just been switched to with its ticket: yielding to the hub once more only
    costs a round trip). False when Locust's TaskSet._sleep is not the one this module
    knows: users then sleep(0) as before, which costs CPU but changes nothing else."""
    from locust.user.task import TaskSet

    original: Any = TaskSet.__dict__.get("_sleep")
    if getattr(original, "skips_started", False):
        return True
    if original is None or getattr(original, "__qualname__", None) != TASKSET_SLEEP:
        return False

    def _sleep(taskset: Any, seconds: float) -> None:
        if seconds is not STARTED:
            original(taskset, seconds)

    _sleep.skips_started = True  # type: ignore[attr-defined]
    _sleep.__wrapped__ = original  # type: ignore[attr-defined]
    TaskSet._sleep = _sleep  # type: ignore[method-assign]
    return True


def arm_user_classes(user_classes: list[type], pool: TicketPool) -> None:
    """Make every user class take tickets: before its first task (after its own on_start)
    and instead of its wait_time between tasks."""
    take = pool.take

    def wait_for_ticket(user: Any) -> float:
        # the lag goes on the user's greenlet for the recorder (lag.py); while it waits the
        # user makes no request, so the last iteration's lag may stay meanwhile
        try:
            setattr(getcurrent(), LAG_ATTRIBUTE, take() * 1000.0)
        except BaseException:  # stopped while waiting: what on_stop requests is no iteration's
            set_lag(None)
            raise
        return STARTED

    skip_sleep_after_tickets()
    for user_class in user_classes:
        original_on_start: Callable[[Any], None] = user_class.on_start  # type: ignore[attr-defined]

        def on_start(user: Any, _original: Callable[[Any], None] = original_on_start) -> None:
            set_lag(None)  # what on_start requests belongs to no iteration
            _original(user)
            wait_for_ticket(user)

        user_class.on_start = on_start  # type: ignore[attr-defined]
        user_class.wait_time = wait_for_ticket  # type: ignore[attr-defined]
