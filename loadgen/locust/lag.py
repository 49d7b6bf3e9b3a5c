"""How late the current iteration started, on the user's own greenlet.

Set by whatever knows an iteration's intended start (tickets.py for arrival stages,
pacing.py for users paced by constant_throughput / constant_pacing) and read by the
request recorder on the same greenlet: a request's corrected latency is its response time
plus its iteration's start lag, i.e. measured from the request's own intended start (its
actual start had the iteration started on time). An attribute on the greenlet rather than
a dict keyed by it: nothing to clean up when a user ends, and reading it costs ~90 ns.
"""

from __future__ import annotations

from gevent import getcurrent

ATTRIBUTE = "perfstack_lag_ms"


def set_lag(seconds: float | None) -> None:
    """The current greenlet's iteration started `seconds` late (None: no iteration)."""
    setattr(getcurrent(), ATTRIBUTE, None if seconds is None else seconds * 1000.0)


def current_lag_ms() -> float | None:
    value = getattr(getcurrent(), ATTRIBUTE, None)
    return None if value is None else float(value)
