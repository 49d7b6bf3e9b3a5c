"""A run's open-model figures, from its record alone: which of the report's open-model
charts it gets, and the exact figures its summary shows (the arrival schedule as played,
dropped iterations, the run's observed against corrected percentiles).

Two things decide, each on its own: an arrival-rate run (`extra.arrival`) has a schedule,
so requested vs achieved rate, dropped iterations and falling behind mean something; a
run that knew its intended starts (arrival stages, or users paced by `constant_pacing` /
`constant_throughput`) has `corrected_percentiles`. A closed run has neither and its
report shows nothing of the open model, rather than charts that would read as "nothing
dropped, no omission" when nothing of it was measured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from perfstack.core.record import PERCENTILE_KEYS, RunRecord
from perfstack.report.panels import ARRIVAL, CORRECTED, ChartSpec


class Figure(NamedTuple):
    """One row of the summary: its name, the text shown, the exact value (None: text only)."""

    name: str
    text: str
    value: float | int | None


@dataclass(frozen=True)
class LatencyPair:
    """One percentile of the whole run, observed and corrected (seconds)."""

    key: str  # p50, p90, p95, p99, max
    observed: float | None  # None: the record has the corrected figure only
    corrected: float

    @property
    def gap(self) -> float | None:
        """What the closed model omitted (or the open one started late), in seconds."""
        return None if self.observed is None else self.corrected - self.observed


def has_corrected(record: RunRecord) -> bool:
    return bool(record.corrected_percentiles)


def applies(spec: ChartSpec, record: RunRecord) -> bool:
    """Whether the report of `record` has the chart at all."""
    if spec.needs == ARRIVAL:
        return record.arrival is not None
    if spec.needs == CORRECTED:
        return has_corrected(record)
    return True


def _rate(value: float) -> str:
    return f"{value:.2f}/s"


# (record field of extra.arrival, row name, how its text is written)
_ARRIVAL_ROWS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("requested_rate", "arrival rate requested", _rate),
    ("achieved_rate", "arrival rate achieved", _rate),
    ("scheduled", "iterations scheduled", str),
    ("started", "iterations started", str),
    ("dropped", "iterations dropped", str),
    ("dropped_ratio", "dropped ratio (dropped / scheduled)", lambda v: f"{v:.2%}"),
    ("worst_10s_shortfall", "worst 10 s shortfall (started vs due)", lambda v: f"{v:.1%}"),
    ("max_users", "user pool (max users)", str),
    ("max_start_lag_seconds", "largest iteration start lag", lambda v: f"{v * 1000:.2f} ms"),
)


def arrival_figures(record: RunRecord) -> list[Figure]:
    """The schedule as played: what was asked, what started, what was dropped. Empty for
    a run without arrival stages; a field an older record lacks is left out, never 0."""
    played = record.arrival
    if played is None:
        return []
    values = {**played, "dropped": record.dropped_iterations}
    figures = []
    for key, name, text in _ARRIVAL_ROWS:
        value = values.get(key)
        if value is None:
            continue
        shown = text(value)
        requested, planned = played.get("requested_rate"), played.get("planned")
        if key == "achieved_rate" and requested:
            shown += f" ({value / requested:.1%} of requested)"
        if key == "scheduled" and planned is not None and planned != value:
            shown += f" of {planned} planned"  # the run stopped before its schedule ended
        figures.append(Figure(name, shown, value))
    return figures


def saturated_text(record: RunRecord) -> str:
    if not record.generator_saturated:
        return "no"
    played = record.arrival
    why = " (behind its arrival rate)" if played is not None and played.get("saturated") else ""
    return f"yes{why}: latencies are unreliable"


def latency_pairs(record: RunRecord) -> list[LatencyPair]:
    """Each percentile the record has corrected, beside the observed one, in the record's
    order (p50 .. max); empty when the run knew no intended starts."""
    return [
        LatencyPair(key, record.percentiles.get(key), record.corrected_percentiles[key])
        for key in PERCENTILE_KEYS.values()
        if key in record.corrected_percentiles
    ]
