"""The stall knob: hold every non-admin request until a deadline passes or is cleared."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable


class Stall:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until = 0.0
        self._changed = asyncio.Event()

    def start(self, seconds: float) -> None:
        """Stall for `seconds` from now; 0 ends a stall at once."""
        self._until = self._clock() + seconds if seconds > 0 else 0.0
        # Wake every waiter so a cleared or shortened stall releases them now.
        self._changed.set()
        self._changed = asyncio.Event()

    def remaining(self) -> float:
        return max(0.0, self._until - self._clock())

    async def wait_over(self) -> None:
        while (left := self.remaining()) > 0:
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=left)
