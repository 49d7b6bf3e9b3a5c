"""What the report gathers from the run record alone: where each stage began."""

from __future__ import annotations

from perfstack.core.record import RunRecord
from perfstack.report.data import stage_marks


def test_user_stages_are_named_by_users_and_arrival_stages_by_their_rate() -> None:
    stages = [
        {"kind": "ramp", "duration": 4.0, "users": 10, "spawn_rate": 2.5},
        {"kind": "arrival", "duration": 6.0, "users": 30, "spawn_rate": 0, "rate": 20.0,
         "start_rate": 5.0},
        {"kind": "arrival", "duration": 2.5, "users": 30, "spawn_rate": 0, "rate": 20.0,
         "start_rate": 20.0},
    ]  # fmt: skip
    run = RunRecord(testid="t-1", scenario="s", generator="locust", target="", start=1.0,
                    end=13.5, extra={"stages": stages})  # fmt: skip
    # an arrival stage's users are the run's pool, not its load: its rate names it
    assert stage_marks(run) == [
        (0.0, "stage 1: ramp, 10 users"),
        (4.0, "stage 2: arrival, 5/s to 20/s"),
        (10.0, "stage 3: arrival, 20/s"),
    ]
