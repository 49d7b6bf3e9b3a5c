"""Small charts for the Markdown report, as Mermaid `xychart-beta` text that GitHub and
GitLab draw in step summaries, pull-request comments and Markdown files.

Two charts, each one bar per objective on the same scale, "% of the limit used", with a
line at 100: a bar over the line missed its limit. Objectives in seconds, ratios, bytes
and rates share one chart that way, and a lower bound reads like an upper one.

- **thresholds**: the value against its pass threshold (`value / limit` for `< limit`,
  `limit / value` for `>= limit`);
- **change against the baseline**: the change against the relative criterion (`+25%`
  against `<= +10%` is 250%; a change in the better direction is 0).

Bars are clipped to 0..200 and never contradict the verdict: a value that meets its
threshold is drawn at 100 at most, one that misses it at 100 at least. An objective
without a finite value (NO_DATA, ERROR, NaN, ±Inf) is never drawn as a number: it is
named under the charts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gate.thresholds import Comparison, Condition, Range
from gate.verdicts import GateResult, ObjectiveResult, Status

CEILING = 200.0  # % of the limit: anything further past it is drawn here
LABEL_LENGTH = 24  # characters of an objective's name under its bar


@dataclass(frozen=True)
class Chart:
    title: str
    labels: list[str]
    bars: list[float]

    def mermaid(self) -> str:
        lines = [
            "```mermaid",
            "xychart-beta",
            f'    title "{_text(self.title)}"',
            "    x-axis [" + ", ".join(f'"{_label(label)}"' for label in self.labels) + "]",
            f'    y-axis "% of the limit" 0 --> {_number(CEILING)}',
            "    bar [" + ", ".join(_number(bar) for bar in self.bars) + "]",
            "    line [" + ", ".join("100" for _ in self.bars) + "]",
            "```",
        ]
        return "\n".join(lines)


def _text(text: str) -> str:
    """Mermaid's quoted strings end at the next '"' and have no escape; a '"`' opens a
    Markdown string; a newline ends the statement."""
    return " ".join(text.replace('"', "'").replace("`", "'").split())


def _label(name: str) -> str:
    text = _text(name)
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1] + "…"


def _number(value: float) -> str:
    """Digits Mermaid reads (`[+-]?\\d+(\\.\\d+)?`: no exponent, no trailing dot)."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _used(ratio: float, met: bool | None) -> float:
    """`ratio` (1 = at the limit) as a bar: clipped, and on the verdict's side of 100."""
    used = min(max(ratio * 100.0, 0.0), CEILING) if not math.isnan(ratio) else CEILING
    if met is True:
        return min(used, 100.0)
    if met is False:
        return max(used, 100.0)
    return used


def threshold_use(value: float, condition: Condition) -> float:
    """% of the pass threshold `value` uses."""
    met = condition.holds(value)
    if isinstance(condition, Range):
        # inside the range: how close to its upper end; outside it: a miss
        return _used(value / condition.high if condition.high > 0 else 0.0, met)
    limit = condition.limit
    if condition.upper_bound:
        ratio = value / limit if limit > 0 else (0.0 if met else math.inf)
    else:
        ratio = limit / value if value > 0 and limit > 0 else (0.0 if met else math.inf)
    return _used(ratio, met)


def change_use(change: float, criterion: Comparison, status: Status) -> float:
    """% of the allowed change `change` uses: `+25%` against `<= +10%` is 250."""
    limit = criterion.limit
    if criterion.upper_bound:
        ratio = change / limit if limit > 0 else 0.0
    else:
        ratio = change / limit if limit < 0 else 0.0
    met = {Status.PASS: True, Status.FAIL: False}.get(status)
    return _used(ratio, met)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def charts(result: GateResult) -> tuple[list[Chart], list[str]]:
    """The charts with at least one bar, and what was not drawn and why
    (`ws rtt (NO_DATA)`, `p95 latency: change (none, FAIL)`)."""
    thresholds = Chart("% of each pass threshold used (over 100 misses it)", [], [])
    changes = Chart("Change against the baseline, % of the allowed change", [], [])
    not_drawn = []
    for entry in result.objectives:
        objective = entry.objective
        if not _finite(entry.value):
            not_drawn.append(f"{objective.name} ({entry.status})")
            continue
        assert entry.value is not None
        if objective.passing is not None:
            thresholds.labels.append(objective.name)
            thresholds.bars.append(threshold_use(entry.value, objective.passing))
        missing = _add_change(changes, entry)
        if missing:
            not_drawn.append(f"{objective.name}: change ({missing})")
    return [chart for chart in (thresholds, changes) if chart.bars], not_drawn


def _add_change(chart: Chart, entry: ObjectiveResult) -> str:
    """Adds the objective's change; says why not when it has a relative criterion but
    no finite change to draw."""
    base, criterion = entry.baseline, entry.objective.relative
    if criterion is None:
        return ""
    if base is None:
        return "not compared"
    if base.change is None or math.isnan(base.change):
        return f"none, {base.status}"
    # an infinite change (from a baseline of 0) is drawn: at the ceiling, or at 0 when
    # it is in the better direction
    chart.labels.append(entry.objective.name)
    chart.bars.append(change_use(base.change, criterion.passing, base.status))
    return ""
