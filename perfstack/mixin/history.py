"""History across runs of one scenario (or pytest suite): each SLI run after run against
its history band, the last run against that band, and the change points found by
`perfstack regressions` as annotations.

It reads the run summaries (one sample per run, stamped at the run's end, no testid:
`perfstack_run_summary{scenario, sli, name}`; `perfstack_run_info{scenario, testid}` at
the same instant) and the change points (`perfstack_regression_change_ratio` and
`_p_value{scenario, sli, name, direction, run_before, run_after}`, stamped when detected),
so it spans months of runs in any Prometheus-compatible store with long retention. The
gate objectives' chart also draws the thresholds the gate pushed with its verdicts.
"""

from __future__ import annotations

from typing import Any

from perfstack.mixin import config as c
from perfstack.mixin.dashboard import datasource_variable, links
from perfstack.mixin.panels import Panel, layout, query, row, table, timeseries

SUMMARY = "perfstack_run_summary"
RUN_INFO = "perfstack_run_info"
CHANGE = "perfstack_regression_change_ratio"
P_VALUE = "perfstack_regression_p_value"
GATE_THRESHOLD = "gate_objective_threshold"

SCENARIO = 'scenario=~"$scenario"'
NAME = 'name=~"$name"'
CHANGE_LABELS = "scenario, sli, name, direction, run_before, run_after"
BAND_QUANTILES = (("p10", 0.1), ("median", 0.5), ("p90", 0.9))

# The standard SLIs of a run summary (the run-history contract), titled, with their unit;
# the gate's objectives (`objective:<name>`) share one panel.
SLIS = (
    ("latency_p50_seconds", "Latency p50", "s"),
    ("latency_p95_seconds", "Latency p95", "s"),
    ("latency_p99_seconds", "Latency p99", "s"),
    ("error_ratio", "Error ratio", "percentunit"),
    ("throughput_rps", "Throughput", "reqps"),
    ("ws_rtt_p95_seconds", "WebSocket RTT p95", "s"),
    ("target_peak_rss_bytes", "Target peak RSS", "bytes"),
    ("target_rss_growth_bytes", "Target RSS growth", "bytes"),
    ("benchmark_mean_seconds", "Benchmark mean", "s"),
)
OBJECTIVES = 'sli=~"objective:.+"'


def summary(sli_matcher: str) -> str:
    return f"{SUMMARY}{{{SCENARIO}, {sli_matcher}, {NAME}}}"


def run_values(sli_matcher: str) -> str:
    """Each run's value once: the one sample of each run falls in exactly one step."""
    return f"max by (sli, name) (last_over_time({summary(sli_matcher)}[$__interval]))"


def band(sli_matcher: str, quantile: float) -> str:
    """The trailing history band: a quantile of the runs of the last $band."""
    return f"max by (sli, name) (quantile_over_time({quantile}, {summary(sli_matcher)}[$band]))"


ALL_SLIS = 'sli=~".+"'


def over_range(function: str, sli_matcher: str = ALL_SLIS) -> str:
    return f"max by (sli, name) ({function}({summary(sli_matcher)}[$__range]))"


LAST = over_range("last_over_time")


def _sli_panel(title: str, sli_matcher: str, unit: str, legend: str) -> Panel:
    # the legend leads with what the line is: the whole run's name is "" and would vanish
    targets = [query(run_values(sli_matcher), f"run {legend}")]
    targets += [
        query(band(sli_matcher, quantile), f"{label} of $band {legend}")
        for label, quantile in BAND_QUANTILES
    ]
    panel = timeseries(
        title,
        targets,
        unit=unit,
        points=True,
        description="One dot per run; the lines are the p10, median and p90 of the runs of "
        "the trailing $band (the history band). Markers: change points.",
    )
    # the band as lines between the dots, so a run outside it stands out
    panel["fieldConfig"]["overrides"] = [
        {
            "matcher": {"id": "byRegexp", "options": "^(p10|median|p90) of .*"},
            "properties": [
                {"id": "custom.drawStyle", "value": "line"},
                {"id": "custom.showPoints", "value": "never"},
                {"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
            ],
        }
    ]
    return panel


def gate_thresholds() -> str:
    """The pass/warn limits the gate judged this scenario's runs by (gate/feedback.py pushes
    them with each verdict), the newest within the band: the rule file's line."""
    return f"max by (objective, level) (last_over_time({GATE_THRESHOLD}{{{SCENARIO}}}[$band]))"


def _objectives_panel() -> Panel:
    panel = _sli_panel("Gate objectives", OBJECTIVES, "short", "{{sli}} {{name}}")
    panel["targets"].append(
        {**query(gate_thresholds(), "{{level}} threshold {{objective}}"), "refId": "E"}
    )
    panel["description"] += " Solid lines: the gate's pass and warn thresholds."
    panel["fieldConfig"]["overrides"].append(
        {
            "matcher": {"id": "byRegexp", "options": "^(pass|warn) threshold .*"},
            "properties": [
                {"id": "custom.drawStyle", "value": "line"},
                {"id": "custom.showPoints", "value": "never"},
                {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}},
            ],
        }
    )
    return panel


def _last_run_table() -> Panel:
    every = summary(ALL_SLIS)
    columns: dict[str, tuple[dict[str, Any], str]] = {
        "Last run": (query(LAST, instant=True), "short"),
        "Runs": (query(over_range("count_over_time"), instant=True), "short"),
    }
    for label, quantile in BAND_QUANTILES:
        expr = f"max by (sli, name) (quantile_over_time({quantile}, {every}[$__range]))"
        columns[f"History {label}"] = (query(expr, instant=True), "short")
    median = f"max by (sli, name) (quantile_over_time(0.5, {every}[$__range]))"
    columns["Last against median"] = (query(f"{LAST} / {median} - 1", instant=True), "percentunit")
    return table(
        "Last run against the history",
        columns,
        join_on="sli",
        description="Per SLI and name: the newest run's value, how many runs the time range "
        "holds, their p10/median/p90, and the newest run's change against the median (all "
        "in the SLI's base unit: seconds, ratio, requests/s, bytes)",
    )


def _change_points_table() -> Panel:
    selector = f"{{{SCENARIO}, {NAME}}}"
    columns: dict[str, tuple[dict[str, Any], str]] = {
        "Change": (
            query(
                f"max by ({CHANGE_LABELS}) (last_over_time({CHANGE}{selector}[$__range]))",
                instant=True,
            ),
            "percentunit",
        ),
        "p-value": (
            query(
                f"max by ({CHANGE_LABELS}) (last_over_time({P_VALUE}{selector}[$__range]))",
                instant=True,
            ),
            "short",
        ),
    }
    return table(
        "Change points",
        columns,
        join_on="sli",
        description="Shifts `perfstack regressions` found in the run history: the SLI, the "
        "runs before and after, the relative change and its p-value",
    )


def change_point_annotation() -> dict[str, Any]:
    """A marker at the end of the first run after each change point.

    A change point is stamped when it was detected, which may be long after that run: it
    is read as of the dashboard's end (`@ end()`) and placed on the run's own summary time
    (its run_info sample)."""
    changes = (
        f"max by ({CHANGE_LABELS}) "
        f"(last_over_time({CHANGE}{{{SCENARIO}, {NAME}}}[$__range] @ end()))"
    )
    own_run = f"last_over_time({RUN_INFO}{{{SCENARIO}}}[$__interval])"
    as_run_after = f'label_replace({own_run}, "run_after", "$1", "testid", "(.+)")'
    runs = f"max by (scenario, run_after) ({as_run_after})"
    return {
        "name": "Change points",
        "datasource": c.DATASOURCE,
        "enable": True,
        "iconColor": "orange",
        "expr": f"{runs} * on (scenario, run_after) group_right {changes}",
        "step": "$__interval",
        "titleFormat": "change point: {{sli}} {{name}} {{direction}}",
        "textFormat": "{{run_before}} -> {{run_after}}",
        "tagKeys": "sli,direction",
    }


def runs_annotation() -> dict[str, Any]:
    return {
        "name": "Runs",
        "datasource": c.DATASOURCE,
        "enable": False,  # many runs: a marker each would hide the change points
        "iconColor": "blue",
        "expr": f"max by (testid) (last_over_time({RUN_INFO}{{{SCENARIO}}}[$__interval]))",
        "step": "$__interval",
        "titleFormat": "run",
        "textFormat": "{{testid}}",
        "tagKeys": "testid",
    }


def _variable(name: str, label: str, definition: str, *, multi: bool) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": c.DATASOURCE,
        "query": {"query": definition, "refId": f"{name}-values"},
        "definition": definition,
        "refresh": 2,
        "sort": 1,
        "multi": multi,
        "includeAll": multi,
        # the whole run's summary has name="": All must match the empty value too
        "allValue": ".*" if multi else None,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]} if multi else {},
        "options": [],
        "hide": 0,
    }


def variables() -> list[dict[str, Any]]:
    band_options = ("30d", "7d", "90d", "1d")
    return [
        datasource_variable(),
        _variable(
            "scenario", "Scenario or suite", f"label_values({SUMMARY}, scenario)", multi=False
        ),
        _variable(
            "name",
            "Request or benchmark",
            f"label_values({SUMMARY}{{{SCENARIO}}}, name)",
            multi=True,
        ),
        {
            "name": "band",
            "label": "History band over",
            "type": "custom",
            "query": ",".join(band_options),
            "current": {"selected": True, "text": band_options[0], "value": band_options[0]},
            "options": [
                {"selected": option == band_options[0], "text": option, "value": option}
                for option in band_options
            ],
            "hide": 0,
        },
    ]


def build() -> dict[str, Any]:
    panels: list[list[tuple[Panel, int]]] = [
        [(_last_run_table(), 16), (_change_points_table(), 8)],
        [(row("Each SLI over runs"), 24)],
    ]
    charts = [_sli_panel(title, f'sli="{sli}"', unit, "{{name}}") for sli, title, unit in SLIS]
    charts.append(_objectives_panel())
    for index in range(0, len(charts), 2):
        panels.append([(chart, 12) for chart in charts[index : index + 2]])
    return {
        "uid": c.UID_HISTORY,
        "title": "Perfstack / History",
        "description": "Runs of one scenario or suite over weeks: each SLI against its "
        "history band, the last run against it, and the change points found.",
        "tags": [c.DASHBOARD_TAG],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-90d", "to": "now"},
        "timepicker": {"refresh_intervals": ["1m", "5m", "1h"]},
        "templating": {"list": variables()},
        "annotations": {"list": [change_point_annotation(), runs_annotation()]},
        "links": links(c.UID_HISTORY),
        "panels": layout(panels),
    }
