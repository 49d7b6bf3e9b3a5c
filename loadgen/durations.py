"""Durations as users write them: `90`, `90s`, `2m`, `1h30m`, `1.5m`."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(value: object) -> float:
    """Seconds in `value`; ValueError with the expected form when it is not a duration."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 30s, 2m or 1h30m, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
        seconds = float(value.strip())
    elif isinstance(value, str) and re.fullmatch(r"(?:\d+(?:\.\d+)?(?:h|ms|m|s))+", value.strip()):
        seconds = sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(value.strip()))
    else:
        raise ValueError(f"expected a duration like 30s, 2m or 1h30m, got {value!r}")
    if seconds <= 0:
        raise ValueError(f"expected a positive duration, got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
