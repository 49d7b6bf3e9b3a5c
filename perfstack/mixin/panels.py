"""Small constructors for Grafana panel, target and layout JSON (schema of Grafana 10/11).

Plain dicts rather than a builder library: the output is exactly the JSON Grafana stores,
reviewable in a diff, and the tests read the same structures they were built from.
"""

from __future__ import annotations

from typing import Any

from perfstack.mixin.config import DATASOURCE, TESTID

Panel = dict[str, Any]
Target = dict[str, Any]


def query(expr: str, legend: str = "", *, instant: bool = False) -> Target:
    """A Prometheus query; instant ones feed tables and stats, range ones graphs."""
    return {
        "datasource": DATASOURCE,
        "expr": expr,
        "legendFormat": legend,
        "instant": instant,
        "range": not instant,
        "format": "table" if instant else "time_series",
    }


def _with_refs(targets: list[Target]) -> list[Target]:
    return [{**target, "refId": chr(ord("A") + index)} for index, target in enumerate(targets)]


def _thresholds(red_at: float | None, orange_at: float | None = None) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    if orange_at is not None:
        steps.append({"color": "orange", "value": orange_at})
    if red_at is not None:
        steps.append({"color": "red", "value": red_at})
    return {"mode": "absolute", "steps": steps}


def _defaults(unit: str, thresholds: dict[str, Any], no_value: str) -> dict[str, Any]:
    """Field defaults; `no_value` replaces Grafana's "No data" (a panel only some runs fill)."""
    defaults: dict[str, Any] = {"unit": unit, "thresholds": thresholds}
    if no_value:
        defaults["noValue"] = no_value
    return defaults


def _level_line(level: Target) -> dict[str, Any]:
    """Override drawing the level series (perfstack/mixin/thresholds.py) as a dashed red line."""
    return {
        "matcher": {"id": "byName", "options": level["legendFormat"]},
        "properties": [
            {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}},
            # a line even on a panel of one dot per run
            {"id": "custom.drawStyle", "value": "line"},
            {"id": "custom.showPoints", "value": "never"},
            {"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
            {"id": "custom.fillOpacity", "value": 0},
        ],
    }


def timeseries(
    title: str,
    targets: list[Target],
    *,
    unit: str = "short",
    description: str = "",
    red_at: float | None = None,
    stacked: bool = False,
    points: bool = False,
    level: Target | None = None,
    no_value: str = "",
) -> Panel:
    """A graph; `points` for values that exist once per run (one dot per run, no line).

    `level` is a threshold query drawn as a dashed red series instead of the fixed `red_at`
    line, so it follows the rule file loaded (thresholds.py)."""
    custom: dict[str, Any] = {
        "drawStyle": "points" if points else "line",
        "lineWidth": 1,
        "fillOpacity": 10,
        "pointSize": 8 if points else 4,
        "showPoints": "always" if points else "never",
        "spanNulls": False,
    }
    if stacked:
        custom["stacking"] = {"mode": "normal", "group": "A"}
    if red_at is not None and level is None:
        custom["thresholdsStyle"] = {"mode": "line"}
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": _with_refs(targets + ([level] if level else [])),
        "fieldConfig": {
            "defaults": {**_defaults(unit, _thresholds(red_at), no_value), "custom": custom},
            "overrides": [_level_line(level)] if level else [],
        },
        "options": {
            "legend": {
                "displayMode": "table",
                "placement": "bottom",
                "calcs": ["mean", "max", "lastNotNull"],
            },
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
    }


def stat(
    title: str,
    target: Target,
    *,
    unit: str = "short",
    red_at: float | None = None,
    description: str = "",
    level: Target | None = None,
    orange_at: float | None = None,
    no_value: str = "",
    extra_targets: list[Target] | None = None,
) -> Panel:
    """A single value (one per series: `extra_targets` put more side by side); with `level`
    (a threshold query) its red step is that query's value (Grafana's config-from-query
    transformation) rather than the fixed `red_at`."""
    extra: dict[str, Any] = {}
    if level is not None:
        extra["transformations"] = [
            {
                "id": "configFromData",
                "options": {
                    "configRefId": "B",
                    "mappings": [
                        {"fieldName": level["legendFormat"], "handlerKey": "threshold1"},
                        {"fieldName": "Time", "handlerKey": "__ignore"},
                    ],
                },
            }
        ]
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": _with_refs([target] + ([level] if level else []) + (extra_targets or [])),
        **extra,
        "fieldConfig": {
            "defaults": {
                **_defaults(unit, _thresholds(red_at, orange_at), no_value),
                "color": {"mode": "thresholds"},
            },
            "overrides": [],
        },
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "area",
            "textMode": "auto",
        },
    }


def table(
    title: str,
    columns: dict[str, tuple[Target, str]],
    *,
    join_on: str,
    description: str = "",
    label_columns: dict[str, str] | None = None,
    column_links: dict[str, tuple[str, str]] | None = None,
) -> Panel:
    """One row per `join_on` value; each column is an instant query (target, unit).

    A column whose unit is "label" shows a label of its query's series (named in
    `label_columns`, e.g. the gate's status) instead of the value. `column_links` makes a
    column's cells links: column -> (title, URL with Grafana's ${__value.raw} etc.).
    """
    targets = _with_refs([target for target, _unit in columns.values()])
    label_columns = label_columns or {}
    renames: dict[str, str] = {}
    hidden: dict[str, bool] = {"Time": True}
    for target, (name, (_t, unit)) in zip(targets, columns.items(), strict=True):
        value_column = f"Value #{target['refId']}"
        if unit == "label":
            hidden[value_column] = True
            renames[label_columns[name]] = name
        else:
            renames[value_column] = name
    overrides = [
        {
            "matcher": {"id": "byName", "options": name},
            "properties": [{"id": "unit", "value": unit}],
        }
        for name, (_target, unit) in columns.items()
        if unit != "label"
    ] + [
        {
            "matcher": {"id": "byName", "options": column},
            "properties": [{"id": "links", "value": [{"title": title, "url": url}]}],
        }
        for column, (title, url) in (column_links or {}).items()
    ]
    return {
        "type": "table",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": targets,
        "fieldConfig": {"defaults": {}, "overrides": overrides},
        "options": {"showHeader": True, "cellHeight": "sm"},
        "transformations": [
            {"id": "merge", "options": {}},
            {
                "id": "organize",
                "options": {
                    "excludeByName": hidden,
                    "indexByName": {join_on: 0},
                    "renameByName": renames,
                },
            },
        ],
    }


def state_timeline(
    title: str,
    target: Target,
    states: dict[int, tuple[str, str]],
    *,
    description: str = "",
    no_value: str = "",
) -> Panel:
    """A 0/1 (or small integer) series per row, each value drawn as a named, coloured state:
    `states` maps value -> (text, colour)."""
    mappings = {
        str(value): {"text": text, "color": color, "index": index}
        for index, (value, (text, color)) in enumerate(sorted(states.items()))
    }
    return {
        "type": "state-timeline",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": _with_refs([target]),
        "fieldConfig": {
            "defaults": {
                **_defaults("short", _thresholds(None), no_value),
                "color": {"mode": "thresholds"},
                "mappings": [{"type": "value", "options": mappings}],
                "custom": {"lineWidth": 0, "fillOpacity": 80},
            },
            "overrides": [],
        },
        "options": {
            "mergeValues": True,
            "showValue": "auto",
            "alignValue": "left",
            "rowHeight": 0.9,
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "single", "sort": "none"},
        },
    }


def row(title: str) -> Panel:
    return {"type": "row", "title": title, "collapsed": False, "panels": []}


def layout(rows: list[list[tuple[Panel, int]]], height: int = 8) -> list[Panel]:
    """Place panels left to right (width in grid units of 24), rows top to bottom; number them."""
    placed: list[Panel] = []
    y = 0
    for cells in rows:
        x = 0
        row_height = 1 if cells and cells[0][0]["type"] == "row" else height
        for panel, width in cells:
            placed.append(
                {
                    **panel,
                    "id": len(placed) + 1,
                    "gridPos": {"h": row_height, "w": width, "x": x, "y": y},
                }
            )
            x += width
        y += row_height
    return placed


def sum_rate(metric: str, by: str = "testid", selector: str = TESTID) -> str:
    """Per-second rate of a counter over Grafana's rate interval, summed over instances."""
    return f"sum by ({by}) (rate({metric}{{{selector}}}[$__rate_interval]))"


def or_zero(expr: str, baseline: str, label: str | None = None) -> str:
    """`expr`, or 0 for the series of `baseline` when expr is empty (a counter that only
    appears with its first event). With `label`, the 0 series gets label="none" for legends."""
    zero = f"0 * {baseline}"
    if label is not None:
        zero = f'label_replace({zero}, "{label}", "none", "", "")'
    return f"{expr} or {zero}"
