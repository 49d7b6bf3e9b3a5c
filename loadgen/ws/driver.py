"""Starts connection slots at the ramp rate, watches them, and stops them when the run ends.

The modes differ only in when the ramp stops and what is reported:
- session / stability / throughput / typing-delay: ramp to N, hold until the duration ends;
- connection-limit: ramp until the error ratio over the last second exceeds the limit (or
  N is reached), then hold `settle` seconds; the lowest open count while holding is the
  highest count the server held stable.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import deque
from dataclasses import dataclass, field

from loadgen.ws.config import RunConfig
from loadgen.ws.session import SlotContext, run_slot

TICK = 0.25
ERROR_WINDOW_TICKS = 4


@dataclass
class DriveResult:
    ramp_stopped_by: str = "connections_reached"  # | error_ratio | duration | stopped
    interrupted: bool = False  # ended early by a signal (not by the caller's stop event)
    ramp_end_elapsed: float = 0.0
    elapsed: float = 0.0
    slots_started: int = 0
    open_at_ramp_end: int = 0
    min_open_after_ramp: int | None = None
    held_stable: int | None = None  # connection-limit only
    received_at_ramp_end: int = 0
    sent_at_ramp_end: int = 0
    open_samples: list[int] = field(default_factory=list)


class Driver:
    def __init__(self, run: RunConfig, ctx: SlotContext) -> None:
        self.run = run
        self.ctx = ctx
        self.tasks: list[asyncio.Task[None]] = []
        self.result = DriveResult()
        self._stop = asyncio.Event()

    def request_stop(self, interrupted: bool = True) -> None:
        """Ends the run early (Ctrl-C, or the caller's stop); what was measured is kept."""
        self.result.interrupted = self.result.interrupted or interrupted
        self._stop.set()

    async def drive(self) -> DriveResult:
        loop = asyncio.get_running_loop()
        start = loop.time()
        end = start + self.run.duration
        try:
            ramp_done_at = await self._ramp(start, end)
            self._mark_ramp_end(ramp_done_at - start)
            if self.run.mode == "connection-limit":
                end = min(end, loop.time() + self.run.settle)
            await self._hold(end)
        finally:
            self.result.elapsed = loop.time() - start
            await self._stop_slots()
        return self.result

    async def _ramp(self, start: float, end: float) -> float:
        loop = asyncio.get_running_loop()
        tally, target, rate = self.ctx.tally, self.run.connections, self.run.ramp
        window: deque[tuple[int, int]] = deque(maxlen=ERROR_WINDOW_TICKS + 1)
        next_check = start + TICK
        while len(self.tasks) < target:
            now = loop.time()
            if now >= end or self._stop.is_set():
                self.result.ramp_stopped_by = "duration" if now >= end else "stopped"
                return now
            due = min(target, math.floor((now - start) * rate) + 1)
            while len(self.tasks) < due:
                self.tasks.append(asyncio.create_task(run_slot(len(self.tasks), self.ctx)))
            if self.run.mode == "connection-limit" and now >= next_check:
                next_check = now + TICK
                window.append((tally.connect_attempts, self._failures()))
                if self._error_ratio(window) > self.run.max_error_ratio:
                    self.result.ramp_stopped_by = "error_ratio"
                    return now
            wait = (len(self.tasks) + 1 - (now - start) * rate) / rate
            await self._sleep(min(max(wait, 0.001), TICK))
        self.result.ramp_stopped_by = "connections_reached"
        return loop.time()

    def _failures(self) -> int:
        return self.ctx.tally.connect_errors + self.ctx.tally.disconnects_unexpected

    @staticmethod
    def _error_ratio(window: deque[tuple[int, int]]) -> float:
        if len(window) < 2:
            return 0.0
        attempts = window[-1][0] - window[0][0]
        failures = window[-1][1] - window[0][1]
        return failures / attempts if attempts else 0.0

    def _mark_ramp_end(self, elapsed: float) -> None:
        tally = self.ctx.tally
        self.result.ramp_end_elapsed = elapsed
        self.result.slots_started = len(self.tasks)
        self.result.open_at_ramp_end = tally.connections_open
        self.result.received_at_ramp_end = tally.messages_received
        self.result.sent_at_ramp_end = tally.messages_sent

    async def _hold(self, end: float) -> None:
        loop = asyncio.get_running_loop()
        while (left := end - loop.time()) > 0 and not self._stop.is_set():
            await self._sleep(min(TICK, left))
            self.result.open_samples.append(self.ctx.tally.connections_open)
        samples = self.result.open_samples
        self.result.min_open_after_ramp = min(samples) if samples else None
        if self.run.mode == "connection-limit":
            self.result.held_stable = min(samples) if samples else self.ctx.tally.connections_open

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    async def _stop_slots(self) -> None:
        self.ctx.stopping = True
        for task in self.tasks:
            task.cancel()
        if self.tasks:
            grace = self.ctx.config.close_timeout + 5.0
            await asyncio.wait(self.tasks, timeout=grace)
