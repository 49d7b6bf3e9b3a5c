"""The report's charts as Bokeh figures: lines over seconds since the run's start (a
baseline run dashed on the same relative axis), stage boundaries and a live-gate abort as
vertical marks, and the per-name latency distribution from the run record's exact
histograms (a percentile curve for records written before they were kept)."""

from __future__ import annotations

import datetime
from bisect import bisect_left
from collections.abc import Sequence
from itertools import cycle
from typing import Literal

import numpy as np
from bokeh.models import ColumnDataSource, HoverTool, NumeralTickFormatter
from bokeh.models.annotations import Label, Span
from bokeh.models.ranges import Range1d
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from perfstack.core.record import RunRecord
from perfstack.metrics.exact import BIN_BOUNDS_US
from perfstack.report.data import Chart, Line
from perfstack.report.history import RunHistory, SliHistory, change_text

WIDTH, HEIGHT = 1100, 320
HISTORY_HEIGHT = 240
CHANGE_COLOR, OWN_COLOR = "#d62728", "#111111"
PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p95", 95.0), ("p99", 99.0), ("max", 100.0))

_Y_FORMAT = {
    "s": ("seconds", "0.000"),
    "bytes": ("bytes", "0.00 b"),
    "percentunit": ("share", "0.[0]%"),
    "reqps": ("per second", "0.[00]"),
    "ops": ("per second", "0.[00]"),
    "": ("", "0.[00]"),
}


def _figure(
    name: str, title: str, x_label: str, unit: str, x_axis_type: Literal["auto", "log"] = "auto"
) -> figure:
    fig = figure(
        name=name,
        x_axis_type=x_axis_type,
        title=title,
        width=WIDTH,
        height=HEIGHT,
        x_axis_label=x_label,
        y_axis_label=_Y_FORMAT[unit][0],
        tools="pan,wheel_zoom,box_zoom,reset,save",
        toolbar_location="right",
    )
    fig.yaxis.formatter = NumeralTickFormatter(format=_Y_FORMAT[unit][1])
    fig.add_tools(HoverTool(tooltips=[("", "$name"), ("x", "@x{0.0}"), ("value", "@y{0.000}")]))
    return fig


def _source(**columns: Sequence[float]) -> ColumnDataSource:
    """Columns as numpy arrays: Bokeh embeds them as base64 typed arrays, which the page
    decodes far faster than JSON lists of numbers (a third of the draw time went to
    decoding the lists). Each renderer is named for its series instead of a label
    column repeating it per point."""
    return ColumnDataSource({key: np.asarray(values, dtype=np.float64)
                             for key, values in columns.items()})  # fmt: skip


def _draw(fig: figure, lines: list[Line], dashed: bool, prefix: str = "") -> None:
    for line, color in zip(lines, cycle(Category10_10), strict=False):
        if not line.x:
            continue
        label = f"{prefix}{line.label}"
        fig.line(
            "x",
            "y",
            source=_source(x=line.x, y=line.y),
            name=label,
            color=color,
            line_width=2,
            line_dash="dashed" if dashed else "solid",
            legend_label=label,
        )


def _mark(fig: figure, at: float, text: str, color: str) -> None:
    fig.add_layout(Span(location=at, dimension="height", line_color=color, line_dash="dotted"))
    fig.add_layout(Label(x=at, y=5, y_units="screen", text=text, text_font_size="9pt",
                         text_color=color))  # fmt: skip


def time_chart(
    chart: Chart,
    stages: list[tuple[float, str]],
    abort: tuple[float, str] | None,
    seconds: float,
    baseline_name: str = "",
) -> figure:
    """The chart over [0, seconds]: the whole run on every chart (and both runs of an
    overlay), so a mark past the last point (an abort) is still in view."""
    spec = chart.spec
    fig = _figure(spec.key, spec.title, "seconds since the run's start", spec.unit)
    fig.x_range = Range1d(start=0.0, end=seconds)
    _draw(fig, chart.lines, dashed=False)
    if baseline_name:
        _draw(fig, chart.baseline, dashed=True, prefix=f"baseline {baseline_name}: ")
    if spec.stages:
        for at, text in stages:
            _mark(fig, at, text, "#555555")
    if abort is not None:
        _mark(fig, abort[0], abort[1], "#d62728")
    if spec.limit is not None:
        fig.add_layout(Span(location=spec.limit, dimension="width", line_color="#d62728",
                            line_dash="dashed", line_alpha=0.6))  # fmt: skip
    fig.legend.click_policy = "hide"
    fig.legend.location = "top_left"
    fig.legend.label_text_font_size = "8pt"
    return fig


def _lower_bound_ms(upper_seconds: float) -> float:
    """The bin's lower edge: the R10 bound below its upper one (0.8 us below the first)."""
    at = bisect_left(BIN_BOUNDS_US, round(upper_seconds * 1_000_000, 3))
    return (BIN_BOUNDS_US[at - 1] if at > 0 else 0.8) / 1000.0


def distribution_chart(record: RunRecord) -> figure | None:
    """Each name's exact latency histogram from the run record: one bar per bin (requests
    with a latency in it), on a logarithmic millisecond axis, with the run's overall
    histogram as a step outline; None when the run recorded no request. Records written
    before the histograms were kept get the percentile curve."""
    names = sorted((name, stats) for name, stats in record.names.items() if stats.histogram)
    if not names:
        return _percentile_curve(record)
    fig = _figure(
        "latency_distribution",
        "Latency distribution by name (exact histograms, from the run record)",
        "latency, milliseconds (log scale)",
        "",
        x_axis_type="log",
    )
    fig.yaxis.axis_label = "requests"
    fig.xaxis.formatter = NumeralTickFormatter(format="0.[000]")  # 0.1, 1, 10 ms, not 10^-1
    for (name, stats), color in zip(names, cycle(Category10_10), strict=False):
        uppers = [bound * 1000.0 for bound, _ in stats.histogram]
        source = _source(
            left=[_lower_bound_ms(bound) for bound, _ in stats.histogram],
            x=uppers,
            y=[count for _, count in stats.histogram],
        )
        fig.quad(left="left", right="x", bottom=0, top="y", source=source, color=color,
                 fill_alpha=0.35, line_alpha=0.8, legend_label=name, name=name)  # fmt: skip
    if record.histogram:
        overall = _source(
            x=[bound * 1000.0 for bound, _ in record.histogram],
            y=[count for _, count in record.histogram],
        )
        fig.step("x", "y", source=overall, mode="before", color="#333333", line_width=1.5,
                 legend_label="all requests", name="all requests")  # fmt: skip
    fig.legend.location = "top_right"
    fig.legend.click_policy = "hide"
    fig.legend.label_text_font_size = "8pt"
    return fig


def _percentile_curve(record: RunRecord) -> figure | None:
    """Each name's exact percentiles as a latency-by-percentile curve, in milliseconds."""
    fig = _figure(
        "latency_distribution",
        "Latency distribution by name (exact, from the run record)",
        "percentile",
        "",
    )
    fig.yaxis.axis_label = "milliseconds"
    drawn = False
    names = sorted(record.names.items())
    for (name, stats), color in zip(names, cycle(Category10_10), strict=False):
        points = [(rank, stats.percentiles[key]) for key, rank in PERCENTILES
                  if key in stats.percentiles]  # fmt: skip
        if not points:
            continue
        source = _source(
            x=[rank for rank, _ in points], y=[seconds * 1000.0 for _, seconds in points]
        )
        fig.line("x", "y", source=source, color=color, line_width=2, legend_label=name, name=name)
        fig.scatter("x", "y", source=source, color=color, size=6, name=name)
        drawn = True
    if not drawn:
        return None
    fig.legend.location = "top_left"
    fig.legend.click_policy = "hide"
    return fig


def _when(stamp: float) -> str:
    return datetime.datetime.fromtimestamp(stamp, datetime.UTC).strftime("%Y-%m-%d %H:%M")


def history_chart(sli: SliHistory, color: str) -> figure:
    """The SLI by run (x = the run's position in the history): a line through the runs,
    the report's own run circled, a dotted mark between the two runs of each change."""
    fig = figure(
        name=f"history_{sli.sli}",
        title=f"{sli.sli} by run",
        width=WIDTH,
        height=HISTORY_HEIGHT,
        x_axis_label="run (oldest first)",
        tools="pan,wheel_zoom,box_zoom,reset,save",
        toolbar_location="right",
    )
    source = ColumnDataSource(
        {
            "x": np.asarray(sli.xs, dtype=np.float64),
            "y": np.asarray(sli.values, dtype=np.float64),
            "testid": sli.testids,
            "end": [_when(end) for end in sli.ends],
        }
    )
    fig.line("x", "y", source=source, name=sli.sli, color=color, line_width=2)
    points = fig.scatter("x", "y", source=source, name=sli.sli, color=color, size=6)
    fig.add_tools(
        HoverTool(
            renderers=[points],
            tooltips=[("run", "@testid"), ("ended (UTC)", "@end"), ("value", "@y{0.000[000]}")],
        )
    )
    if sli.own is not None:
        own = ColumnDataSource(
            {"x": np.asarray([sli.xs[sli.own]], dtype=np.float64),
             "y": np.asarray([sli.values[sli.own]], dtype=np.float64)}
        )  # fmt: skip
        fig.scatter("x", "y", source=own, name="this run", size=13, fill_alpha=0,
                    line_color=OWN_COLOR, line_width=2, legend_label="this run")  # fmt: skip
        fig.legend.location = "top_left"
        fig.legend.label_text_font_size = "8pt"
    for point in sli.change_points:
        at = sli.xs[point.index] - 0.5  # between the last run before and the first after
        fig.add_layout(Span(location=at, dimension="height", line_color=CHANGE_COLOR,
                            line_dash="dotted", line_width=2))  # fmt: skip
        fig.add_layout(Label(x=at, y=5, y_units="screen", text=f"change: {change_text(point)}",
                             text_font_size="9pt", text_color=CHANGE_COLOR))  # fmt: skip
    return fig


def history_figures(found: RunHistory | None) -> dict[str, figure]:
    if found is None:
        return {}
    colors = cycle(Category10_10)
    return {f"history_{s.sli}": history_chart(s, next(colors)) for s in found.slis if s.judged}
