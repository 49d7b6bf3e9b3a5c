"""Durations as users write them, in every file and flag: `90`, `90s`, `2m`, `1h30m`,
`1.5m`, `250ms`, `.5s`. A bare number is seconds; several parts add up (largest unit
first is customary, not required)."""

from __future__ import annotations

import argparse
import math
import re
from decimal import Context, Decimal

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_PART = re.compile(rf"({_NUMBER})\s*(ms|h|m|s)")
_DURATION = re.compile(rf"(?:{_NUMBER}\s*(?:ms|h|m|s)\s*)+|{_NUMBER}")
_UNIT_SECONDS = {"h": Decimal(3600), "m": Decimal(60), "s": Decimal(1), "ms": Decimal("1e-3")}
# decimal arithmetic, so "0.3s" is the double nearest 0.3 (not 0.3 * 1.0 rounded twice)
_EXACT = Context(prec=60, traps=[])
EXAMPLES = "30s, 2m or 1h30m"


class DurationError(ValueError):
    pass


def parse_duration(value: object, *, allow_zero: bool = False) -> float:
    """Seconds in `value` (a number, or text in the grammar above); DurationError naming
    the expected form when it is not a duration, or is zero and `allow_zero` is false."""
    if isinstance(value, bool):
        raise DurationError(f"expected a duration like {EXAMPLES}, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and _DURATION.fullmatch(value.strip()):
        text = value.strip()
        parts = _PART.findall(text) or [(text, "s")]
        total = sum(
            (_EXACT.multiply(Decimal(number), _UNIT_SECONDS[unit]) for number, unit in parts),
            Decimal(0),
        )
        seconds = float(total)
    else:
        raise DurationError(f"expected a duration like {EXAMPLES}, got {value!r}")
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise DurationError(f"expected a duration {bound}, got {value!r}")
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


def duration_argument(text: str) -> float:
    """argparse `type=` for a duration flag: a bad value is argparse's one-line usage error."""
    try:
        return parse_duration(text)
    except DurationError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
