"""The leak knob: retain memory at a set rate, really written so the process RSS grows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

TICK_SECONDS = 0.1


class Leak:
    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self.retained_bytes = 0

    def grow(self, nbytes: int) -> None:
        if nbytes <= 0:
            return
        # Repeating a non-zero byte writes every page; a bytearray(n) would stay lazily zeroed
        # and barely move RSS.
        self._chunks.append(b"x" * nbytes)
        self.retained_bytes += nbytes

    def release(self) -> int:
        freed = self.retained_bytes
        self._chunks.clear()
        self.retained_bytes = 0
        return freed

    async def run(
        self, rate: Callable[[], int], clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Retain `rate()` bytes per second of elapsed time until cancelled."""
        last = clock()
        owed = 0.0
        while True:
            await asyncio.sleep(TICK_SECONDS)
            now = clock()
            owed += rate() * (now - last)
            last = now
            whole = int(owed)
            self.grow(whole)
            owed -= whole
