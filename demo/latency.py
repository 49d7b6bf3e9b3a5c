"""Latency distributions for `/api/latency`, written as compact specs.

A spec is `KIND:PARAM[:PARAM]` with every time in milliseconds:

- `fixed:MS`                  always MS
- `uniform:LOW:HIGH`          uniform between LOW and HIGH
- `lognormal:MEDIAN:SIGMA`    log-normal with that median and shape SIGMA (0 = fixed)
- `exponential:MEAN`          exponential with that mean

The same string is accepted by `--latency-distribution` and by the admin API, so a
test can move from one shape to another without restarting the target.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

MAX_SAMPLE_MS = 60_000.0  # one request never sleeps more than a minute, whatever the tail

_ARITY = {"fixed": 1, "uniform": 2, "lognormal": 2, "exponential": 1}
_FORMS = "fixed:MS, uniform:LOW:HIGH, lognormal:MEDIAN:SIGMA or exponential:MEAN"


class DistributionError(ValueError):
    """A spec that does not parse; the message says what was expected."""


@dataclass(frozen=True)
class LatencyDistribution:
    kind: str
    params: tuple[float, ...]

    @classmethod
    def parse(cls, spec: str) -> LatencyDistribution:
        kind, _, rest = spec.strip().partition(":")
        kind = kind.lower()
        if kind not in _ARITY:
            raise DistributionError(f"unknown distribution {spec!r}; expected {_FORMS}")
        parts = [part for part in rest.split(":") if part != ""]
        if len(parts) != _ARITY[kind]:
            raise DistributionError(
                f"{kind} takes {_ARITY[kind]} parameter(s), got {spec!r}; expected {_FORMS}"
            )
        try:
            params = tuple(float(part) for part in parts)
        except ValueError:
            raise DistributionError(
                f"non-numeric parameter in {spec!r}; expected {_FORMS}"
            ) from None
        if any(not math.isfinite(p) or p < 0 for p in params):
            raise DistributionError(f"parameters must be finite and >= 0 in {spec!r}")
        if kind == "uniform" and params[0] > params[1]:
            raise DistributionError(f"uniform needs LOW <= HIGH, got {spec!r}")
        return cls(kind, params)

    @property
    def spec(self) -> str:
        return ":".join([self.kind, *(f"{p:g}" for p in self.params)])

    def mean_ms(self) -> float:
        if self.kind == "fixed":
            return self.params[0]
        if self.kind == "uniform":
            return (self.params[0] + self.params[1]) / 2
        if self.kind == "lognormal":
            median, sigma = self.params
            return median * math.exp(sigma * sigma / 2)
        return self.params[0]

    def sample_ms(self, rng: random.Random) -> float:
        if self.kind == "fixed":
            value = self.params[0]
        elif self.kind == "uniform":
            value = rng.uniform(self.params[0], self.params[1])
        elif self.kind == "lognormal":
            median, sigma = self.params
            value = 0.0 if median == 0 else rng.lognormvariate(math.log(median), sigma)
        else:
            mean = self.params[0]
            value = 0.0 if mean == 0 else rng.expovariate(1.0 / mean)
        return min(value, MAX_SAMPLE_MS)
