"""Open-model load: the intended start times of an arrival-rate schedule, and how a run's
achieved rate is judged against it.

One global schedule per run: iteration i (0, 1, 2, ...) is due when the cumulative
arrivals N(t) reach i, N being the integral of the stages' rates (constant, or moving
linearly from `start_rate` to `rate` over a stage). Generator process k of n plays the
slots i = k, k+n, k+2n, ... of that one schedule, so the rate is split exactly over the
run whatever n is (at most one iteration apart at any moment). Pure arithmetic: the
Locust side (loadgen/locust/tickets.py) releases these slots as tickets.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

HONESTY_WINDOW_SECONDS = 10.0  # the "any 10 s window"
HONESTY_TOLERANCE = 0.05  # achieved below requested by more than this: saturated
_RATE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(?:/\s*(ms|s|m|min|h))?\s*$")
_PER = {"ms": 1000.0, "s": 1.0, "m": 1 / 60, "min": 1 / 60, "h": 1 / 3600}


def parse_rate(value: object) -> float:
    """Iterations per second from `200/s`, `12000/m`, `5/ms`, `0.5/s` or a bare number
    (per second). ValueError (with what was expected) on anything else; the caller
    names the file, line and key, or the flag. Zero and negative rates are refused by
    the callers, which know the key to name."""
    if isinstance(value, bool):
        raise ValueError(f"expected a rate like 200/s, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = value.strip() if isinstance(value, str) else ""
    match = _RATE.match(text)
    if match is None:
        if text.startswith("-") and _RATE.match(text[1:]):
            return -parse_rate(text[1:])  # refused by the caller, which names the key
        raise ValueError(f"expected a rate like 200/s, 12000/m or 50, got {value!r}")
    return float(match.group(1)) * _PER[match.group(2) or "s"]


@dataclass(frozen=True)
class ArrivalStage:
    duration: float
    rate: float  # iterations/s at the stage's end
    start_rate: float  # ... and at its start (== rate: constant)

    @property
    def iterations(self) -> float:
        return (self.start_rate + self.rate) / 2.0 * self.duration

    def offset_of(self, count: float) -> float:
        """Seconds into the stage at which `count` of its arrivals have come (N(t) = count
        with N(t) = r0 t + (r1 - r0) t^2 / 2D): the positive root, written so that
        neither r0 = 0 nor r1 = r0 divides by zero."""
        if count <= 0.0:
            return 0.0
        half_slope = (self.rate - self.start_rate) / (2.0 * self.duration)
        root = math.sqrt(self.start_rate**2 + 4.0 * half_slope * count)
        return min(self.duration, 2.0 * count / (self.start_rate + root))


@dataclass(frozen=True)
class ArrivalSchedule:
    stages: tuple[ArrivalStage, ...]

    @property
    def duration(self) -> float:
        return sum(stage.duration for stage in self.stages)

    @property
    def total(self) -> int:
        """Iterations in the whole schedule: the slots i with N(t_i) = i inside the run."""
        return math.ceil(sum(stage.iterations for stage in self.stages) - 1e-9)

    def offsets(self, part: int = 0, parts: int = 1) -> Iterator[float]:
        """Intended start offsets (seconds from the schedule's start) of the slots
        i = part, part + parts, ... in order."""
        index, before, elapsed = part, 0.0, 0.0
        for stage in self.stages:
            inside = stage.iterations
            if stage.start_rate == stage.rate > 0.0:
                # constant: offset_of comes down to c / r (its sqrt(r * r) may differ from r
                # in the last bit); this loop runs once per iteration the generator starts
                rate, duration = stage.rate, stage.duration
                while index < before + inside - 1e-9:
                    yield elapsed + min(duration, (index - before) / rate)
                    index += parts
            else:
                while index < before + inside - 1e-9:
                    yield elapsed + stage.offset_of(index - before)
                    index += parts
            before += inside
            elapsed += stage.duration

    def count_before(self, offset: float, part: int = 0, parts: int = 1) -> int:
        """Slots of this part due strictly before `offset` seconds (what a generator that
        started on time has released by then)."""
        return sum(1 for value in self.offsets(part, parts) if value < offset)


def split_evenly(total: int, parts: int, part: int) -> int:
    """Part `part`'s share of `total` when it is split into `parts` as evenly as the
    schedule's round robin splits slots: the first total % parts get one more."""
    return total // parts + (1 if part < total % parts else 0)


def worst_shortfall(
    scheduled: dict[int, int], started: dict[int, int], window: float = HONESTY_WINDOW_SECONDS
) -> float:
    """The largest relative shortfall 1 - started/scheduled over any `window`-second
    window of whole seconds (keys: whole seconds of the schedule, both counted by the
    second they happened in: intended for `scheduled`, actual for `started`). A schedule
    shorter than the window is judged as one window; 0.0 when nothing was scheduled."""
    if not scheduled:
        return 0.0
    first, last = min(scheduled), max(scheduled)
    span = max(1, min(int(window), last - first + 1))
    worst = 0.0
    for begin in range(first, last - span + 2):
        want = sum(scheduled.get(second, 0) for second in range(begin, begin + span))
        got = sum(started.get(second, 0) for second in range(begin, begin + span))
        if want > 0:
            worst = max(worst, 1.0 - got / want)
    return worst
