"""Quantities in rule files: numbers with optional units, converted to Prometheus base units.

Thresholds are written the way people say them ("2s", "500ms", "85%", "1024MB") and stored
in the metric's base unit (seconds, bytes, ratio 0..1), so "< 500ms" against a `_seconds`
metric compares 0.5 with the value, never 500.
"""

from __future__ import annotations

import math
import re
from decimal import Context, Decimal

# Decimal factors, applied to the number as written: 95 * 0.01 in floats is
# 0.9500000000000001, which would fail a run at exactly 95% against ">= 95%".
UNITS: dict[str, Decimal] = {
    "": Decimal(1),
    "s": Decimal(1),
    "ms": Decimal("1e-3"),
    "us": Decimal("1e-6"),
    "µs": Decimal("1e-6"),
    "min": Decimal(60),
    "h": Decimal(3600),
    "%": Decimal("0.01"),
    "b": Decimal(1),
    "kb": Decimal("1e3"),
    "mb": Decimal("1e6"),
    "gb": Decimal("1e9"),
    "kib": Decimal(2**10),
    "mib": Decimal(2**20),
    "gib": Decimal(2**30),
    "rps": Decimal(1),
    "/s": Decimal(1),
}
# What each written unit measures; a threshold must measure what its SLI does.
DIMENSIONS: dict[str, str] = {
    **dict.fromkeys(("s", "ms", "us", "µs", "min", "h"), "a time"),
    "%": "a ratio",
    **dict.fromkeys(("b", "kb", "mb", "gb", "kib", "mib", "gib"), "a size in bytes"),
    **dict.fromkeys(("rps", "/s"), "a rate"),
}
# An SLI's unit -> the dimension its thresholds may be written in (a bare number always).
SLI_DIMENSIONS: dict[str, tuple[str, str]] = {
    "seconds": ("a time", "s or ms"),
    "ratio": ("a ratio", "%"),
    "rps": ("a rate", "rps"),
    "bytes": ("a size in bytes", "MB, MiB, GB"),
    "bytes_per_second": ("", "a bare number of bytes per second"),
    "count": ("", "a bare number"),
}


def dimension_mismatch(written_unit: str, sli_unit: str) -> str | None:
    """Why a threshold written in `written_unit` cannot judge an SLI measured in `sli_unit`
    ("< 500mb" against a latency), or None when it can. A bare number always can."""
    if not written_unit or sli_unit not in SLI_DIMENSIONS:
        return None
    wanted, spelled = SLI_DIMENSIONS[sli_unit]
    written = DIMENSIONS.get(written_unit.lower(), "")
    if written == wanted:
        return None
    return f"is {written or written_unit}, but the SLI is in {sli_unit} (use {spelled})"


# enough digits for any literal a person writes; an absurd exponent overflows to Infinity
# (as float("1e400") does) instead of raising
_EXACT = Context(prec=60, traps=[])

_QUANTITY = re.compile(
    r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf)\s*([a-zA-Zµ%/]*)\s*$"
)


def parse_quantity(text: str) -> tuple[float, str]:
    """(value in base units, unit as written). Raises ValueError with what was expected.

    The value is the double nearest to the decimal the user wrote ("95%" is exactly 0.95)."""
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(
            f"{text!r} is not a number with an optional unit (e.g. 2s, 500ms, 5%, 512MB)"
        )
    number, unit = match.groups()
    factor = UNITS.get(unit.lower())
    if factor is None:
        known = ", ".join(sorted(u for u in UNITS if u))
        raise ValueError(f"unknown unit {unit!r} in {text!r} (known: {known})")
    return float(_EXACT.multiply(_EXACT.create_decimal(number), factor)), unit


def promql_duration(seconds: float) -> str:
    """Seconds as a PromQL range, rounded up to whole milliseconds so it never shrinks."""
    millis = max(1, math.ceil(seconds * 1000 - 1e-6))
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def format_value(value: float | None, unit_hint: str = "") -> str:
    """A value for people: seconds as ms/s, ratios as %, bytes as MB."""
    if value is None:
        return "-"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if unit_hint == "seconds":
        return f"{value * 1000:.1f}ms" if abs(value) < 1 else f"{value:.3f}s"
    if unit_hint == "ratio":
        return f"{value * 100:.2f}%"
    if unit_hint == "bytes":
        return f"{value / 1e6:.1f}MB"
    if unit_hint == "bytes_per_second":
        return f"{value / 1e3:.2f}kB/s"
    if unit_hint == "rps":
        return f"{value:.1f}/s"
    return f"{value:.6g}"
