"""What a Locust run planned, and whether it ended as planned or was quit early.

Locust ends a headless run itself: at `--run-time`, or when the load shape's `tick()`
returns None. A locustfile may also call `runner.quit()` (or die of an error, or be sent
Ctrl-C) before that, and Locust exits the same way. Its events do not say who stopped
the test, so the stop is told apart by where it was called from: Locust's own ends run
in `locust.main`'s `stop_and_optionally_quit` (the --run-time limit) and
`locust.runners`' `shape_worker` (the shape's tick() returned None). With a shape, a stop
that `stop_and_optionally_quit` began means the shape was cut short (Ctrl-C while Locust
waited for it), so only the shape's own stop counts there.

Elapsed time cannot tell them apart: Locust sets its run-time timer against the event
loop's cached clock, which a slow start leaves behind (a 2 s limit was seen to fire
after 0.4 s of load).

A web-UI run, or a headless one without --run-time or shape, planned nothing: whatever
ends it is its end.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any

from perfstack.core.durations import format_duration
from perfstack.core.record import COMPLETED, QUIT_EARLY

# the code in which Locust ends a headless run as planned: (module, function)
RUN_TIME_END = ("locust.main", "stop_and_optionally_quit")
SHAPE_END = ("locust.runners", "shape_worker")


@dataclass(frozen=True)
class LoadPlan:
    seconds: float | None  # the planned length, when known
    shape: str | None = None  # the load shape playing the run (its class name)


def plan_of(environment: Any) -> LoadPlan | None:
    """None when nothing was planned."""
    options = environment.parsed_options
    if options is None or not getattr(options, "headless", False):
        return None
    shape = environment.shape_class
    if shape is not None:  # Locust ignores --run-time then: the shape decides
        return LoadPlan(shape_seconds(shape), type(shape).__name__)
    run_time = getattr(options, "run_time", None)
    return LoadPlan(float(run_time)) if run_time else None


def shape_seconds(shape: Any) -> float | None:
    """The length a shape states as `planned_seconds` (perfstack's scenario shape does); a
    shape that states none only says it is over when its tick() returns None."""
    value = getattr(shape, "planned_seconds", None)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


def stop_origin() -> tuple[str, str] | None:
    """Which of Locust's own ends began the test stop under way (a test_stopping listener
    asks); None for anything else (the locustfile calling `runner.quit()`, an error, a
    signal, the web UI)."""
    frame = inspect.currentframe()
    while frame is not None:
        place = (str(frame.f_globals.get("__name__")), frame.f_code.co_name)
        if place in (RUN_TIME_END, SHAPE_END):
            return place
        frame = frame.f_back
    return None


def ending(
    plan: LoadPlan | None, origin: tuple[str, str] | None, elapsed: float
) -> tuple[str, str]:
    """The record's (exit_status, message). `origin`: what began the run's stop
    (stop_origin); `elapsed`: seconds of load before that stop began."""
    if plan is None or origin == (SHAPE_END if plan.shape is not None else RUN_TIME_END):
        return COMPLETED, ""
    if plan.seconds is not None:
        tail = f" of the planned {format_duration(plan.seconds)}"
    else:
        tail = f", before the load shape {plan.shape} ended"
    return QUIT_EARLY, f"Locust quit after {elapsed:.1f}s{tail}"
