"""Think time between messages ("typing delay"): fixed, uniform or exponential."""

from __future__ import annotations

import random
from dataclasses import dataclass

from perfstack.core.durations import DurationError, parse_duration

KINDS = ("fixed", "uniform", "exponential")


class ThinkTimeError(ValueError):
    pass


@dataclass(frozen=True)
class ThinkTime:
    """`fixed:0.5s`, `uniform:100ms:300ms`, `exponential:200ms` (mean); `0` means none."""

    kind: str = "fixed"
    low: float = 0.0
    high: float = 0.0

    @classmethod
    def parse(cls, spec: str) -> ThinkTime:
        text = str(spec).strip()
        kind, _, rest = text.partition(":")
        if not rest:
            kind, rest = "fixed", text
        args = rest.split(":")
        try:
            values = [parse_duration(arg, allow_zero=True) for arg in args]
        except DurationError as error:
            raise ThinkTimeError(f"think time {text!r}: {error}") from None
        if kind == "fixed" and len(values) == 1:
            return cls("fixed", values[0], values[0])
        if kind == "uniform" and len(values) == 2 and values[0] <= values[1]:
            return cls("uniform", values[0], values[1])
        if kind in ("exponential", "exp") and len(values) == 1:
            return cls("exponential", values[0], values[0])
        raise ThinkTimeError(
            f"think time {text!r}: expected fixed:D, uniform:LOW:HIGH (LOW <= HIGH) "
            "or exponential:MEAN, with durations like 200ms or 1.5s"
        )

    def sample(self, rng: random.Random) -> float:
        if self.kind == "fixed":
            return self.low
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high)
        return rng.expovariate(1.0 / self.low) if self.low > 0 else 0.0

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def __str__(self) -> str:
        if self.kind == "uniform":
            return f"uniform:{self.low:g}s:{self.high:g}s"
        return f"{self.kind}:{self.low:g}s"
