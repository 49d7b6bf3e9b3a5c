"""Which charts the report draws, with the dashboards' own queries: each chart names the
panel of a generated dashboard it copies (or the overview's query builder it calls), so a
query is written once, in perfstack/mixin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from perfstack.mixin import overview, resources, websocket
from perfstack.mixin.recording import QUANTILES
from perfstack.mixin.thresholds import is_level_query

HTTP, WEBSOCKET, RESOURCES, GENERATORS = "HTTP", "WebSocket", "Target resources", "Generators"
OPEN_MODEL = "Open model"
SECTIONS = (HTTP, OPEN_MODEL, WEBSOCKET, RESOURCES, GENERATORS)
# what a run must have for a chart to be drawn at all (ChartSpec.needs): an arrival-rate
# schedule, or intended starts (corrected latency); report/open_model.py reads the record
ARRIVAL, CORRECTED = "arrival", "corrected"


@dataclass(frozen=True)
class ChartSpec:
    key: str  # the chart's id in the page (the Bokeh model's name)
    title: str
    section: str
    unit: str  # "reqps", "s", "bytes", "percentunit" or "" (the dashboards' units)
    queries: tuple[tuple[str, str], ...]  # (PromQL with Grafana variables, legend format)
    stages: bool = False  # mark the scenario's stage boundaries on it
    limit: float | None = None  # a horizontal line: where the value turns bad
    # zero before the run's start and after its end (users): the line is drawn from and to
    # zero there, which the samples alone do not show (data.anchored says why)
    zero_outside_run: bool = False
    # ARRIVAL or CORRECTED: only a run that has them gets the chart; any other run's report
    # leaves it out (neither drawn nor "none in this run": nothing of it was to be measured)
    needs: str = ""


def _panel(
    build: Callable[[], dict[str, Any]], title: str, kind: str = "timeseries"
) -> tuple[tuple[str, str], ...]:
    """The queries of the dashboard's panel `title` of type `kind` (a graph by default: a
    stat panel of the same title is not it), with their legends."""
    dashboard = build()
    found = tuple(
        (target["expr"], target.get("legendFormat", ""))
        for panel in dashboard["panels"]
        if panel["title"] == title and panel["type"] == kind
        for target in panel.get("targets", [])
        # the live rule-file level (mixin/thresholds.py) is the dashboard's; a report is of
        # one run, judged by the gate's own verdict
        if not is_level_query(target["expr"])
    )
    if not found:
        raise LookupError(f"no {kind} {title!r} in dashboard {dashboard['title']!r}")
    return found


def chart_specs() -> list[ChartSpec]:
    by_name = "{{method}} {{name}}"
    return [
        ChartSpec(
            "requests_by_name",
            "Requests per second by name",
            HTTP,
            "reqps",
            _panel(overview.build, "Requests per second by name"),
        ),
        ChartSpec(
            "failures_by_name",
            "Failures per second by name",
            HTTP,
            "reqps",
            ((overview.failures_by_name(), by_name),),
        ),
        ChartSpec(
            "latency_by_name",
            "Latency p50 / p95 / p99 by name",
            HTTP,
            "s",
            tuple(
                (overview.latency_by_name(q), f"p{int(float(q) * 100)} {by_name}")
                for q in QUANTILES
            ),
        ),
        ChartSpec(
            "active_users",
            "Active users (stage boundaries marked)",
            HTTP,
            "",
            _panel(overview.build, "Active users"),
            stages=True,
            zero_outside_run=True,
        ),
        *open_model_specs(),
        ChartSpec(
            "ws_open",
            "WebSocket open connections",
            WEBSOCKET,
            "",
            _panel(websocket.build, "Open connections"),
        ),
        ChartSpec(
            "ws_messages",
            "WebSocket messages per second",
            WEBSOCKET,
            "ops",
            _panel(websocket.build, "Messages per second"),
        ),
        ChartSpec(
            "ws_rtt",
            "WebSocket round-trip time",
            WEBSOCKET,
            "s",
            _panel(websocket.build, "Round-trip time"),
        ),
        ChartSpec(
            "target_rss",
            "Target resident memory (RSS) per process",
            RESOURCES,
            "bytes",
            _panel(resources.build, "Resident memory (RSS)"),
        ),
        ChartSpec(
            "target_cpu",
            "Target CPU per process (share of one core)",
            RESOURCES,
            "percentunit",
            _panel(resources.build, "Target CPU (share of one core)"),
        ),
        ChartSpec(
            "generator_cpu",
            "Generator CPU (share of one core) and saturation (1 = over 90% for 10 s, "
            "or behind its arrival rate)",
            GENERATORS,
            "percentunit",
            (
                *_panel(overview.build, "Generator CPU (share of one core)"),
                (overview.generator_saturated(), "saturated {{generator}} {{instance}}"),
            ),
            limit=0.9,
        ),
    ]


def open_model_specs() -> list[ChartSpec]:
    """The Overview's open-model graphs (perfstack/mixin/open_model.py), each only for a
    run that has what it draws: a closed run's report shows none of them, a paced closed
    run's only the corrected latency."""
    return [
        ChartSpec(
            "arrival_rate",
            "Iterations per second: requested vs achieved (stage boundaries marked)",
            OPEN_MODEL,
            "ops",
            _panel(overview.build, "Iterations per second: requested vs achieved"),
            stages=True,
            needs=ARRIVAL,
        ),
        ChartSpec(
            "dropped_iterations",
            "Dropped iterations per second",
            OPEN_MODEL,
            "ops",
            _panel(overview.build, "Dropped iterations per second"),
            needs=ARRIVAL,
        ),
        ChartSpec(
            "dropped_ratio",
            "Dropped ratio (dropped / scheduled iterations)",
            OPEN_MODEL,
            "percentunit",
            _panel(overview.build, "Dropped ratio"),
            needs=ARRIVAL,
        ),
        ChartSpec(
            "latency_corrected",
            "Latency observed vs corrected (p95 / p99; corrected: from each intended start)",
            OPEN_MODEL,
            "s",
            _panel(overview.build, "Latency observed vs corrected (p95 / p99)"),
            needs=CORRECTED,
        ),
        ChartSpec(
            "generator_saturated",
            "Generator saturated (1 = over 90% of a core for 10 s, or fewer than 95% of "
            "the iterations due in 10 s started)",
            OPEN_MODEL,
            "",
            _panel(overview.build, "Generator saturated", kind="state-timeline"),
            needs=ARRIVAL,
        ),
    ]
