"""Tickets: the pool's hand-over and the scheduler's release times in this process, and
under a real Locust run dropped iterations counted exactly against the schedule when
max_users is too small, with the counters, record and gate verdict that show them."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import gevent

from gate.evaluate import Gate
from gate.prometheus import PrometheusClient
from gate.rules import parse_rules
from gate.verdicts import Status
from gate.window import from_record
from loadgen.arrival import ArrivalSchedule, ArrivalStage
from loadgen.locust.tickets import BATCH_SECONDS, Scheduler, TicketPool
from tests.loadgen.locust_runs import finished_record, prom_by, run_perfstack, write_locustfile

# each iteration holds its user 375 ms (plus a fast request): with slots 250 ms apart a
# lone user takes every other slot, with >= 125 ms of slack on either side for a busy CI
BUSY_LOCUSTFILE = """
import gevent
from locust import FastHttpUser, constant, task

class Busy(FastHttpUser):
    wait_time = constant(5)  # replaced by the arrival tickets
    @task
    def iteration(self):
        self.client.get("/health")
        gevent.sleep(0.375)
"""


def test_a_slot_released_early_goes_to_the_first_user_free_before_its_time() -> None:
    pool = TicketPool()
    pool.epoch = now = time.time()
    pool.release(now + 0.5, now)  # no user waiting: on offer, neither started nor dropped
    assert list(pool.offered) == [now + 0.5]
    assert (pool.counts.scheduled, pool.counts.started, pool.counts.dropped) == (0, 0, 0)
    assert pool.take() == 0.0  # taken at once, without waiting, and not late
    assert not pool.offered and not pool.waiting
    assert (pool.counts.scheduled, pool.counts.started, pool.counts.dropped) == (1, 1, 0)


def test_a_slot_on_offer_that_no_user_takes_by_its_time_is_dropped() -> None:
    pool = TicketPool()
    pool.epoch = now = time.time()
    pool.release(now + 0.010, now)
    pool.release(now + 0.020, now)
    pool.release(now - 0.001, now)  # already due with no user waiting: dropped at once
    assert pool.counts.dropped == 1
    pool.expire(now + 0.015)  # the first one's time passed with no user: dropped
    assert list(pool.offered) == [now + 0.020]
    assert (pool.counts.scheduled, pool.counts.dropped) == (2, 2)
    gevent.sleep(max(0.0, now + 0.025 - time.time()))
    waiter = gevent.spawn(pool.take)  # the last one expired too: this user waits
    gevent.sleep(0.01)
    assert not waiter.ready() and len(pool.waiting) == 1
    assert (pool.counts.scheduled, pool.counts.started, pool.counts.dropped) == (3, 0, 3)
    pool.release(time.time() - 0.25, time.time())  # a slot the hub released 250 ms late
    assert waiter.get(timeout=1) >= 0.25  # its lag goes to the user
    assert pool.counts.started == 1 and pool.counts.max_lag >= 0.25


def release_times(rate: float, seconds: float) -> list[tuple[float, float]]:
    """(intended, released) of every slot a scheduler plays, each taken by a waiting user."""
    pool = TicketPool()
    released: list[tuple[float, float]] = []
    users = [gevent.spawn(lambda: [pool.take() for _ in range(int(rate * seconds))])]
    gevent.sleep(0)

    def release(intended: float, now: float) -> None:
        released.append((intended, time.time()))
        while not pool.waiting:  # the one user is being handed its last ticket
            gevent.sleep(0)
        TicketPool.release(pool, intended, now)

    pool.release = release  # type: ignore[method-assign]
    scheduler = Scheduler(ArrivalSchedule((ArrivalStage(seconds, rate, rate),)), 0, 1, pool)
    scheduler.start(time.time())
    scheduler.join()
    gevent.killall(users)
    return released


def test_dense_slots_are_released_in_batches_never_late_by_design_nor_too_early() -> None:
    released = release_times(1000.0, 0.3)
    assert len(released) == 300
    # at most BATCH_SECONDS early (a busy machine may make any of them late)
    assert min(at - intended for intended, at in released) >= -BATCH_SECONDS - 0.001
    # one wake-up per batch: far fewer distinct release moments than slots
    wakeups = 1 + sum(1 for a, b in itertools.pairwise(released) if b[1] - a[1] > 0.002)
    assert wakeups <= 0.3 / BATCH_SECONDS + 5


def test_sparse_slots_are_each_released_at_their_own_time() -> None:
    released = release_times(50.0, 0.3)
    assert len(released) == 15
    assert min(at - intended for intended, at in released) >= 0.0


def expected_drops(offsets: list[float], busy: float, users: int) -> int:
    """Dropped slots when each iteration holds a user `busy` seconds: a slot is dropped
    when every user is still busy at its intended start."""
    free_at = [0.0] * users
    dropped = 0
    for offset in offsets:
        index = min(range(users), key=lambda i: free_at[i])
        if free_at[index] > offset:
            dropped += 1
        else:
            free_at[index] = offset + busy
    return dropped


# the saturating run of the Overview's and the report's open-model tests: 12 s, since a
# generator's live saturated gauge judges whole 10 s windows (docs/http-load.md)
SATURATING_SECONDS = 12
SATURATING_SCHEDULED = 4 * SATURATING_SECONDS
SATURATING_DROPPED = expected_drops(
    list(ArrivalSchedule((ArrivalStage(SATURATING_SECONDS, 4.0, 4.0),)).offsets()), 0.375, 1
)


def test_dropped_iterations_are_counted_exactly_when_max_users_is_too_small(
    tmp_path: Path, stack, demo_target
) -> None:
    locustfile = write_locustfile(tmp_path, BUSY_LOCUSTFILE)
    scenario = tmp_path / "open.yaml"
    scenario.write_text("stages:\n  - {kind: arrival, rate: 4/s, duration: 6s, max_users: 1}\n")
    result = run_perfstack(
        locustfile, demo_target.url, tmp_path, stack.prometheus_url,
        "--scenario", str(scenario), "--testid", "open-drops",
    )  # fmt: skip
    record = finished_record(tmp_path, "open-drops", result)
    offsets = list(ArrivalSchedule((ArrivalStage(6.0, 4.0, 4.0),)).offsets())
    # the expectation does not hinge on the request's own time: the same for 0-75 ms of it
    expected = {expected_drops(offsets, 0.375 + extra, 1) for extra in (0.0, 0.04, 0.075)}
    assert expected == {12}
    arrival = record.extra["arrival"]
    assert (arrival["planned"], arrival["scheduled"], arrival["started"]) == (24, 24, 12)
    assert record.dropped_iterations == arrival["dropped"] == 12
    assert record.requests == 12  # one request per started iteration, none for a dropped one
    assert arrival["dropped_ratio"] == 0.5 and record.generator_saturated
    assert prom_by(stack.prometheus_url, "loadgen_dropped_iterations_total", "open-drops") == {
        "": 12.0
    }
    assert prom_by(stack.prometheus_url, "loadgen_scheduled_iterations_total", "open-drops") == {
        "": 24.0
    }
    assert "12 dropped" in result.stdout
    # the default preset's objective: any dropped iteration WARNs, over 1% FAILs
    rules = parse_rules(
        "objectives:\n  - {name: drops, sli: dropped_iterations_ratio, pass: '<= 0',"
        " warn: '<= 1%'}\n",
        "r.yaml",
    )
    with PrometheusClient(stack.prometheus_url) as client:
        verdict = Gate(client, rules).evaluate(from_record(record))
    (objective,) = verdict.objectives
    assert objective.status is Status.FAIL and objective.value == 0.5
