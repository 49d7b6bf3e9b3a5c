"""The target's knobs: what they are, their defaults, and how a value is checked.

One parser per knob serves both the command line (strings) and the admin API (JSON
numbers or strings), so both reject the same values with the same words.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from demo.latency import DistributionError, LatencyDistribution

DEFAULT_DISTRIBUTION = "lognormal:20:0.5"


class KnobError(ValueError):
    """A knob value that is out of range or of the wrong type."""

    def __init__(self, knob: str, problem: str) -> None:
        super().__init__(f"{knob}: {problem}")
        self.knob = knob
        self.problem = problem


@dataclass(frozen=True)
class Knobs:
    latency_ms: float = 0.0  # added to every /api request
    error_ratio: float = 0.0  # share of /api requests answering 500
    leak_bytes_per_second: int = 0  # retained by a background task
    ws_typing_delay_ms: float = 0.0  # before each WebSocket reply
    ws_max_connections: int = 0  # 0: no cap
    latency_distribution: str = DEFAULT_DISTRIBUTION  # shape of /api/latency
    flaky_ratio: float = 0.1  # share of /api/flaky answering 503
    cache_size: int = 100  # LRU entries in front of item lookups

    def updated(self, changes: Mapping[str, Any]) -> Knobs:
        """A copy with `changes` applied; raises KnobError on the first bad value."""
        return dataclasses.replace(self, **parse_knobs(changes, allowed=KNOB_NAMES))

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else repr(value)


def _number(knob: str, value: Any) -> float:
    if isinstance(value, bool):
        raise KnobError(knob, f"expected a number, got {_text(value)}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise KnobError(knob, f"expected a number, got {_text(value)!r}") from None
    if not math.isfinite(number):
        raise KnobError(knob, f"expected a finite number, got {_text(value)!r}")
    return number


def non_negative(knob: str, value: Any) -> float:
    number = _number(knob, value)
    if number < 0:
        raise KnobError(knob, f"expected a number >= 0, got {_text(value)}")
    return number


def ratio(knob: str, value: Any) -> float:
    number = _number(knob, value)
    if not 0.0 <= number <= 1.0:
        raise KnobError(knob, f"expected a ratio between 0 and 1, got {_text(value)}")
    return number


def count(knob: str, value: Any) -> int:
    number = non_negative(knob, value)
    if number != int(number):
        raise KnobError(knob, f"expected a whole number >= 0, got {_text(value)}")
    return int(number)


_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_UNIT = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "ki": 2**10, "mi": 2**20, "gi": 2**30}


def byte_rate(knob: str, value: Any) -> int:
    """Bytes as a number or with a unit: 20MB, 512KiB, 1.5M."""
    if isinstance(value, str):
        match = _SIZE.match(value)
        if not match:
            raise KnobError(knob, f"expected bytes like 1048576, 20MB or 512KiB, got {value!r}")
        unit = (match.group(2) or "").lower().removesuffix("b")
        return int(float(match.group(1)) * _UNIT[unit])
    return count(knob, value)


def distribution(knob: str, value: Any) -> str:
    if not isinstance(value, str):
        raise KnobError(knob, f"expected a spec string like 'uniform:10:50', got {value!r}")
    try:
        return LatencyDistribution.parse(value).spec
    except DistributionError as error:
        raise KnobError(knob, str(error)) from None


Parser = Callable[[str, Any], Any]

PARSERS: dict[str, Parser] = {
    "latency_ms": non_negative,
    "error_ratio": ratio,
    "leak_bytes_per_second": byte_rate,
    "ws_typing_delay_ms": non_negative,
    "ws_max_connections": count,
    "latency_distribution": distribution,
    "flaky_ratio": ratio,
    "cache_size": count,
    "stall_seconds": non_negative,  # an action, not a stored knob: stall for N s from now
}
KNOB_NAMES = frozenset(field.name for field in dataclasses.fields(Knobs))
ACTION_NAMES = frozenset({"stall_seconds"})


def parse_knobs(
    changes: Mapping[str, Any], allowed: frozenset[str] | None = None
) -> dict[str, Any]:
    """Check every value; unknown names are errors (a typo must not pass silently)."""
    names = allowed if allowed is not None else KNOB_NAMES | ACTION_NAMES
    parsed: dict[str, Any] = {}
    for knob, value in changes.items():
        if knob not in names:
            raise KnobError(knob, f"unknown knob; expected one of {', '.join(sorted(names))}")
        parsed[knob] = PARSERS[knob](knob, value)
    return parsed
