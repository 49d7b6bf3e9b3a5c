"""Pass/warn conditions: comparisons (`< 2s`, `>= 85%`), ranges (`0.1..0.5`) and relative
criteria against a baseline (`<= +10%`).

A condition answers three questions: does a value satisfy it, does a whole confidence
interval satisfy it, does a whole interval violate it. NaN and infinities never satisfy
anything: an infinite value that "is above 150 rps" is a broken query, not a pass.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from gate.units import parse_quantity

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_COMPARISON = re.compile(r"^\s*(<=|>=|<|>)\s*(.+?)\s*$")
_RANGE = re.compile(r"^\s*(.+?)\s*\.\.\s*(.+?)\s*$")


@dataclass(frozen=True)
class Comparison:
    op: str
    limit: float
    text: str
    unit: str = ""

    def holds(self, value: float) -> bool:
        return math.isfinite(value) and _OPERATORS[self.op](value, self.limit)

    def holds_for_all(self, low: float, high: float) -> bool:
        return self.holds(low) and self.holds(high)

    def violated_by_all(self, low: float, high: float) -> bool:
        # an interval's two ends outside a one-sided condition: everything between is too
        return not self.holds(low) and not self.holds(high)

    @property
    def upper_bound(self) -> bool:
        """True when larger values are worse (`<`, `<=`)."""
        return self.op in ("<", "<=")


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    text: str
    unit: str = ""

    def holds(self, value: float) -> bool:
        return math.isfinite(value) and self.low <= value <= self.high

    def holds_for_all(self, low: float, high: float) -> bool:
        return self.holds(low) and self.holds(high)

    def violated_by_all(self, low: float, high: float) -> bool:
        return high < self.low or low > self.high

    @property
    def upper_bound(self) -> bool:
        return True


Condition = Comparison | Range


def parse_condition(text: str) -> Condition:
    """`< 2s`, `>= 85%`, `0.5..2s` (inclusive). Raises ValueError naming what was expected."""
    text = str(text).strip()
    comparison = _COMPARISON.match(text)
    if comparison:
        op, quantity = comparison.groups()
        limit, unit = parse_quantity(quantity)
        return Comparison(op, limit, text, unit)
    ranged = _RANGE.match(text)
    if ranged:
        low, low_unit = parse_quantity(ranged.group(1))
        high, high_unit = parse_quantity(ranged.group(2))
        if low > high:
            raise ValueError(f"range {text!r} has its lower end above its upper end")
        return Range(low, high, text, high_unit or low_unit)
    raise ValueError(
        f"{text!r} is not a condition: expected '<', '<=', '>', '>=' and a value (e.g. '< 2s',"
        " '>= 85%') or a range 'low..high'"
    )


def parse_relative(text: str) -> Comparison:
    """`<= +10%` (at most 10% above the baseline), `>= -10%` (at most 10% below it)."""
    match = _COMPARISON.match(str(text).strip())
    if not match or not match.group(2).rstrip().endswith("%"):
        raise ValueError(
            f"{text!r} is not a relative criterion: expected e.g. '<= +10%' (at most 10% above"
            " the baseline) or '>= -10%' (at most 10% below it)"
        )
    limit, unit = parse_quantity(match.group(2))
    return Comparison(match.group(1), limit, str(text).strip(), unit)


def judge_interval(passing: Condition, warning: Condition | None, low: float, high: float) -> str:
    """PASS when the whole interval passes; FAIL when it lies wholly past the last acceptable
    condition; WARN otherwise (it straddles a threshold, or lies in the warn band)."""
    if passing.holds_for_all(low, high):
        return "PASS"
    last = warning or passing
    if last.violated_by_all(low, high):
        return "FAIL"
    return "WARN"


def judge_value(passing: Condition, warning: Condition | None, value: float) -> str:
    if passing.holds(value):
        return "PASS"
    if warning is not None and warning.holds(value):
        return "WARN"
    return "FAIL"


SEVERITY = {"PASS": 0, "WARN": 1, "FAIL": 2}  # for picking the worst of several values


def shortfall(condition: Condition, value: float) -> float:
    """How far `value` lies past the condition's nearest limit: positive when it is outside,
    negative (the margin left) when inside. NaN and infinities are infinitely far."""
    if not math.isfinite(value):
        return math.inf
    if isinstance(condition, Range):
        return max(condition.low - value, value - condition.high)
    return value - condition.limit if condition.upper_bound else condition.limit - value


def worst_value(passing: Condition, warning: Condition | None, values: list[float]) -> float:
    """The value with the worst verdict; among equal verdicts the one furthest past (or
    nearest to) the pass condition's limit. A range's low end counts as much as its high."""
    return max(
        values,
        key=lambda value: (
            SEVERITY[judge_value(passing, warning, value)],
            shortfall(passing, value),
        ),
    )
