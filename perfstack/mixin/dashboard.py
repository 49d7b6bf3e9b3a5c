"""What every perfstack dashboard shares: the testid variable, run annotations, links."""

from __future__ import annotations

from typing import Any

from perfstack.mixin import config
from perfstack.mixin.panels import Panel

# Newest run first: the runs seen in the time range, ordered by their start timestamp.
# query_result() keeps the query's order when the variable's sort is 0 (disabled).
TESTID_VARIABLE_QUERY = (
    "query_result(sort_desc(max by (testid) "
    "(max_over_time(loadgen_run_start_timestamp_seconds[$__range]))))"
)
TESTID_VARIABLE_REGEX = '/testid="([^"]+)"/'

LINKED_DASHBOARDS = (
    ("Load test overview", config.UID_OVERVIEW),
    ("WebSocket", config.UID_WEBSOCKET),
    ("Resources", config.UID_RESOURCES),
    ("Runs and verdicts", config.UID_RUNS),
    ("History", config.UID_HISTORY),
)


def datasource_variable() -> dict[str, Any]:
    return {
        "name": "datasource",
        "label": "Prometheus",
        "type": "datasource",
        "query": "prometheus",
        "current": {"text": "Prometheus", "value": config.DATASOURCE_UID},
        "hide": 0,
    }


def label_variable(name: str, label: str, metric: str) -> dict[str, Any]:
    """A multi-select filter on one label of the selected runs' series (All: any value)."""
    definition = f'label_values({metric}{{testid=~"$testid"}}, {name})'
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": config.DATASOURCE,
        "query": {"query": definition, "refId": f"{name}-values"},
        "definition": definition,
        "refresh": 2,
        "sort": 1,
        "multi": True,
        "includeAll": True,
        "allValue": ".+",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [],
        "hide": 0,
    }


def testid_variable(*, include_all: bool) -> dict[str, Any]:
    return {
        "name": "testid",
        "label": "Test run",
        "type": "query",
        "datasource": config.DATASOURCE,
        "query": TESTID_VARIABLE_QUERY,
        "definition": TESTID_VARIABLE_QUERY,
        "regex": TESTID_VARIABLE_REGEX,
        "refresh": 2,  # on time range change: a new run appears without reloading
        "sort": 0,
        "multi": True,
        "includeAll": include_all,
        "allValue": ".+" if include_all else None,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]} if include_all else {},
        "options": [],
        "hide": 0,
    }


def run_annotations() -> list[dict[str, Any]]:
    """Run start and end as annotations, placed at the time the generator recorded (value in ms)."""

    def annotation(name: str, metric: str, color: str) -> dict[str, Any]:
        # Generators mark their series stale when a run ends, right after the last push
        # that carries the end timestamp: look back a little so that sample is seen.
        selector = f"last_over_time({metric}{{{config.TESTID}}}[{config.END_OF_RUN_LOOKBACK}])"
        return {
            "name": name,
            "datasource": config.DATASOURCE,
            "enable": True,
            "iconColor": color,
            "expr": f"max by (testid) ({selector} > 0) * 1000",
            "useValueForTime": True,
            "step": "15s",
            "titleFormat": name,
            "textFormat": "{{testid}}",
            "tagKeys": "testid",
        }

    return [
        annotation("Run start", "loadgen_run_start_timestamp_seconds", "green"),
        annotation("Run end", "loadgen_run_end_timestamp_seconds", "blue"),
    ]


def links(own_uid: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "link",
            "title": title,
            "url": f"/d/{uid}",
            "icon": "dashboard",
            "includeVars": True,
            "keepTime": True,
            "targetBlank": False,
            "tooltip": f"Open {title} for the selected runs",
        }
        for title, uid in LINKED_DASHBOARDS
        if uid != own_uid
    ]


def dashboard(
    *,
    uid: str,
    title: str,
    description: str,
    panels: list[Panel],
    include_all: bool = False,
    extra_annotations: list[dict[str, Any]] | None = None,
    extra_variables: list[dict[str, Any]] | None = None,
    time_from: str = "now-30m",
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": [config.DASHBOARD_TAG],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,  # shared crosshair: compare latency and CPU at the same instant
        "refresh": "5s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": time_from, "to": "now"},
        "timepicker": {"refresh_intervals": ["5s", "10s", "30s", "1m", "5m"]},
        "templating": {
            "list": [
                datasource_variable(),
                testid_variable(include_all=include_all),
                *(extra_variables or []),
            ]
        },
        "annotations": {"list": run_annotations() + (extra_annotations or [])},
        "links": links(uid),
        "panels": panels,
    }
