"""Closed-model compensation for users paced by Locust's `constant_pacing` /
`constant_throughput` (Hyperfoil's compensation, wrk2's intended send times).

Locust's pacing measures each wait from the previous task's start: after a task that
overran (the target stalled), the next starts at once and the pace is kept from there,
so the slots the stall swallowed are never sent and never measured (coordinated
omission). Here the pace is a grid anchored where Locust anchors it (the user's
creation): iteration k is intended at anchor + k * interval. A user that fell behind runs
its overdue iterations back to back until it is on the grid again, and each one's lag (how
late it started) is added to its requests' corrected latency (loadgen/locust/lag.py).
Existing locustfiles get this without a change; the observed latency is recorded as before.
"""

from __future__ import annotations

import time
from typing import Any

from loadgen.locust.lag import set_lag

PACING_MODULE = "locust.user.wait_time"
PACING_FUNCTION = "constant_pacing.<locals>.wait_time_func"


def pacing_interval(wait_time: Any) -> float | None:
    """The interval of a `constant_pacing(x)` / `constant_throughput(1/x)` wait function,
    None for any other wait_time (those have no intended start to derive)."""
    if (
        getattr(wait_time, "__module__", None) != PACING_MODULE
        or getattr(wait_time, "__qualname__", None) != PACING_FUNCTION
    ):
        return None
    code, closure = getattr(wait_time, "__code__", None), getattr(wait_time, "__closure__", None)
    if code is None or not closure or "wait_time" not in code.co_freevars:
        return None
    value = closure[code.co_freevars.index("wait_time")].cell_contents
    return float(value) if isinstance(value, int | float) and value > 0 else None


def paced(interval: float) -> Any:
    """A wait_time keeping `interval` on a grid, catching up after a stall."""

    def wait_on_grid(user: Any) -> float:
        now = time.time()
        intended = getattr(user, "_perfstack_intended", None)
        if intended is None:
            # anchored where Locust's own pacing is: the user's creation (its
            # `_cp_last_run`, on the perf_counter clock), so the second iteration is due
            # one interval after it, as before
            created = getattr(user, "_cp_last_run", None)
            age = time.perf_counter() - created if isinstance(created, float) else 0.0
            intended = now - age
        intended += interval
        user._perfstack_intended = intended
        set_lag(max(0.0, now - intended))
        return max(0.0, intended - now)

    wait_on_grid.perfstack_interval = interval  # type: ignore[attr-defined]
    return wait_on_grid


def arm_user_classes(user_classes: list[type]) -> list[str]:
    """Replace the pacing wait_time of every paced user class; the names of those armed."""
    armed = []
    for user_class in user_classes:
        wait_time = getattr(user_class, "wait_time", None)
        if getattr(wait_time, "perfstack_interval", None) is not None:
            armed.append(user_class.__name__)  # inherited from a class armed before it
            continue
        interval = pacing_interval(wait_time)
        if interval is not None:
            user_class.wait_time = paced(interval)  # type: ignore[attr-defined]
            armed.append(user_class.__name__)
    return armed
