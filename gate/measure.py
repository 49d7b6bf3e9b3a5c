"""Turns an objective into numbers for one run window: its value (with every series
Prometheus returned), the number of samples behind it, and per-interval values.

The run record's exact percentiles are used for latency shorthands when it has them;
everything else is an instant query at the window's evaluation time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from gate.model import Objective
from gate.prometheus import PrometheusClient, Series
from gate.request_names import parse_request
from gate.shorthands import SHORTHANDS, selector
from gate.window import RunWindow, resolve
from perfstack.core.record import MethodStats, RunRecord


@dataclass
class Measurement:
    series: list[Series]
    query: str
    source: str = "prometheus"
    samples: int | None = None
    samples_query: str | None = None
    notes: list[str] = field(default_factory=list)


def _per_second(requests: int, failures: int, duration: float) -> float | None:
    return requests / duration if duration > 0 else None


# shorthand -> (the record's figures it is computed from, value from requests, failures and
# duration); read from the record when Prometheus lost part of the run
RECORD_COUNTS: dict[str, tuple[str, Callable[[int, int, float], float | None]]] = {
    "request_count": ("requests", lambda requests, _failures, _duration: float(requests)),
    "error_ratio": ("failures / requests", lambda requests, failures, _d: failures / requests),
    "throughput": ("requests / duration", _per_second),
}


def record_query(testid: str, figure: str) -> str:
    """The query text of a value read from the run record (`figure` names the field)."""
    return f"run record {testid}: {figure} (exact)"


def record_figure(query: str) -> str:
    """The figure a `record_query` names, short: `names['/a'].percentiles.p95` is `p95`,
    `failures / requests` is `failures/requests`."""
    figure = query.partition(": ")[2].removesuffix(" (exact)")
    if "]." in figure:
        figure = figure.rpartition("].")[2]  # request names may hold dots: cut after them
    return figure.rpartition(".")[2].replace(" ", "")


class UnresolvedPlaceholder(Exception):
    pass


class ForeignSeries(Exception):
    """The query returned series labelled with another run's testid: its matcher is wider
    than the run (e.g. testid=~"$testid" with a testid holding '.')."""


def check_own_series(series: list[Series], testid: str) -> None:
    """Series without a testid label (sums, the target's own metrics) are the query's
    business; a series of another run must never be judged as this one."""
    others = sorted(
        {s.labels["testid"] for s in series if s.labels.get("testid", testid) != testid}
    )
    if others:
        shown = ", ".join(repr(other) for other in others[:3])
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        raise ForeignSeries(
            f"the query returned series of other runs (testid {shown}{more}), not only of "
            f'{testid!r}: select the run with testid="$testid"'
        )


class Measurer:
    def __init__(
        self, client: PrometheusClient | None, variables: dict[str, str] | None = None
    ) -> None:
        self.client = client
        self.variables = dict(variables or {})

    def queries(self, objective: Objective, window: RunWindow) -> list[str]:
        """The resolved value queries, in the order they are tried."""
        values = window.placeholders(self.variables)
        if objective.query is not None:
            return [self._resolve(objective.query, values)]
        shorthand = SHORTHANDS[str(objective.sli)]
        sel = selector(objective.request, objective.target)
        return [self._resolve(template(sel), values) for template in shorthand.values]

    def samples_query(self, objective: Objective, window: RunWindow) -> str | None:
        values = window.placeholders(self.variables)
        if objective.query is not None:
            return (
                self._resolve(objective.samples_query, values) if objective.samples_query else None
            )
        shorthand = SHORTHANDS[str(objective.sli)]
        return self._resolve(
            shorthand.samples(selector(objective.request, objective.target)), values
        )

    def measure(self, objective: Objective, window: RunWindow) -> Measurement:
        from_record = self._from_record(objective, window)
        if from_record is not None:
            return from_record
        candidates = self.queries(objective, window)
        series: list[Series] = []
        query = candidates[-1]
        notes = []
        for candidate in candidates:
            series = self._prom().instant(candidate, window.eval_time)
            check_own_series(series, window.testid)
            query = candidate
            if len(series) == 1:
                break
            if candidate is not candidates[-1]:
                notes.append(f"{len(series)} series from the exact gauge; used the histogram")
        measurement = Measurement(series, query, notes=notes)
        samples_query = self.samples_query(objective, window)
        if samples_query is not None:
            counted = self._prom().instant(samples_query, window.eval_time)
            check_own_series(counted, window.testid)
            finite = [s.value for s in counted if math.isfinite(s.value)]
            measurement.samples = int(min(finite)) if finite else 0
            measurement.samples_query = samples_query
        return measurement

    def intervals(
        self, objective: Objective, window: RunWindow, step: float
    ) -> tuple[str, list[float]]:
        """Per-interval values over the run (latency shorthands; chunks of a benchmark's
        rounds), NaN intervals dropped."""
        if objective.sli is not None and SHORTHANDS[objective.sli].interval_series is not None:
            return self._interval_series(objective, window)
        if (
            objective.sli is None
            or SHORTHANDS[objective.sli].interval is None
            or window.end is None
        ):
            return "", []
        template = SHORTHANDS[objective.sli].interval
        assert template is not None
        rate_window = max(2 * step, 3.0)
        query = self._resolve(
            template(selector(objective.request, objective.target)),
            window.placeholders(self.variables, window=rate_window),
        )
        result = self._prom().range(
            query, window.start + rate_window, window.end + min(window.settle, step), step
        )
        if len(result) != 1:
            return query, []
        return query, [value for _, value in result[0].points if math.isfinite(value)]

    def _interval_series(self, objective: Objective, window: RunWindow) -> tuple[str, list[float]]:
        """One value per `chunk` series, in chunk order; none unless they all belong to one
        benchmark (several benchmarks' chunks are no sample of one)."""
        template = SHORTHANDS[str(objective.sli)].interval_series
        assert template is not None
        query = self._resolve(
            template(selector(objective.request, objective.target)),
            window.placeholders(self.variables),
        )
        series = self._prom().instant(query, window.eval_time)
        check_own_series(series, window.testid)
        if len({s.labels.get("fullname") for s in series}) != 1:
            return query, []
        ordered = sorted(series, key=lambda s: s.labels.get("chunk", ""))
        return query, [s.value for s in ordered if math.isfinite(s.value)]

    def _from_record(self, objective: Objective, window: RunWindow) -> Measurement | None:
        return self.from_record(objective, window)

    def from_record(
        self, objective: Objective, window: RunWindow, counts: bool = False
    ) -> Measurement | None:
        """The run record's exact value of a shorthand, or None when it has none.

        Percentiles always (exact, where Prometheus' histogram interpolates); with `counts`
        also the request count, error ratio and throughput - the gate asks for those only
        when Prometheus lost part of the run, since otherwise they are the same numbers."""
        record = window.record
        if record is None or objective.sli is None:
            return None
        shorthand = SHORTHANDS[objective.sli]
        if record.generator != shorthand.record_generator:
            return None  # a WebSocket run's record holds RTT percentiles, not HTTP latency
        stats: RunRecord | MethodStats | None = record
        where = ""
        if objective.request is not None:
            ref = parse_request(objective.request)
            named = record.names.get(ref.name)
            stats, where = named, f"names[{ref.name!r}]."
            if named is not None and ref.method is not None:
                # a record written before methods were kept has none: Prometheus answers
                stats = named.methods.get(ref.method)
                where = f"names[{ref.name!r}].methods[{ref.method!r}]."
        if stats is None or stats.requests <= 0:
            return None
        key = shorthand.record_percentile
        if key is not None:
            value: float | None = getattr(stats, shorthand.record_field).get(key)
            where += f"{shorthand.record_field}.{key}"
        elif counts and objective.sli in RECORD_COUNTS:
            field_name, exact = RECORD_COUNTS[objective.sli]
            value = exact(stats.requests, stats.failures, record.duration or 0.0)
            where += field_name
        else:
            return None
        if value is None:
            return None
        return Measurement(
            [Series({}, float(value))],
            record_query(record.testid, where),
            source="run record",
            samples=int(stats.requests),
        )

    def _prom(self) -> PrometheusClient:
        if self.client is None:
            raise RuntimeError("this Measurer only resolves queries (no Prometheus client)")
        return self.client

    @staticmethod
    def _resolve(text: str, values: dict[str, str]) -> str:
        try:
            return resolve(text, values)
        except KeyError as error:
            raise UnresolvedPlaceholder(f"unknown placeholder ${error.args[0]}") from error
