"""Durations as users write them: 250ms, 30s, 2m, 1h, or a plain number of seconds."""

from __future__ import annotations

import math
import re

_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(ms|s|m|h)?\s*$")
_SCALE = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


class DurationError(ValueError):
    pass


def parse_duration(value: object) -> float:
    """Seconds from `value`; raises DurationError naming what was expected."""
    if isinstance(value, bool):
        raise DurationError(f"expected a duration like 500ms, 30s or 2m, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise DurationError(f"expected a duration like 500ms, 30s or 2m, got {value!r}")
        seconds = float(match.group(1)) * _SCALE[match.group(2)]
    if not math.isfinite(seconds) or seconds < 0:
        raise DurationError(f"expected a duration >= 0, got {value!r}")
    return seconds
