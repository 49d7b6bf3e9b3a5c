"""Tickets under a real Locust run: dropped iterations counted exactly against the
schedule when max_users is too small, and the counters, record and gate verdict that
show them."""

from __future__ import annotations

from pathlib import Path

from gate.evaluate import Gate
from gate.prometheus import PrometheusClient
from gate.rules import parse_rules
from gate.verdicts import Status
from gate.window import from_record
from loadgen.arrival import ArrivalSchedule, ArrivalStage
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
