"""A lazily re-armed wake-up for one connection's `recv()`: at most one timer handle.

`asyncio.timeout_at` around every `recv()` costs an object, a timer-heap push and a
cancel per message. Here the handle stays scheduled while replies keep arriving: arming
for a later deadline keeps the earlier handle; when that one fires early, the session
just sees a spurious wake-up, re-checks its clocks and re-arms. In the steady state
(replies well inside the timeout) a connection schedules about one timer per timeout
period instead of one per message.

The alarm interrupts the task only while it waits in `recv()` (cancelling `recv()` is
safe in websockets; cancelling a `send()` is not).
"""

from __future__ import annotations

import asyncio
import math


class Alarm:
    __slots__ = ("_handle", "_loop", "_task", "_when", "fired", "waiting")

    def __init__(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[object]) -> None:
        self._loop = loop
        self._task = task
        self._handle: asyncio.TimerHandle | None = None
        self._when = math.inf
        self.fired = False
        self.waiting = False

    def arm(self, when: float) -> None:
        """Make sure a wake-up happens at `when` or earlier."""
        if when >= self._when or when == math.inf:
            return
        if self._handle is not None:
            self._handle.cancel()
        self._handle = self._loop.call_at(when, self._fire)
        self._when = when

    def _fire(self) -> None:
        self._handle, self._when = None, math.inf
        if self.waiting:
            self.fired = True
            self._task.cancel()

    def consume(self) -> bool:
        """After a CancelledError: True if it was ours (undone), False if someone else's."""
        if not self.fired:
            return False
        self.fired = False
        self._task.uncancel()
        # A stop request that arrived together with our wake-up must still end the task.
        return self._task.cancelling() == 0

    def disarm(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle, self._when, self.fired, self.waiting = None, math.inf, False, False
