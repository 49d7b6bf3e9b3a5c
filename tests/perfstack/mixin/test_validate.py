"""Static checks of the generated dashboards, the provisioning files and the alert annotations."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from perfstack.mixin import build, config
from perfstack.mixin.thresholds import is_level_query, level_part

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD_FILES = sorted((ROOT / "grafana" / "dashboards").glob("*.json"))
# every dashboard but History shows runs picked by testid; History shows a scenario's runs
# over weeks from the run summaries, which carry no testid (tests/perfstack/mixin/test_history.py)
HISTORY = ROOT / "grafana" / "dashboards" / "perfstack-history.json"
RUN_DASHBOARD_FILES = [p for p in DASHBOARD_FILES if p != HISTORY]


def _load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def _datasource_refs(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource":
                yield value
            yield from _datasource_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _datasource_refs(item)


def test_every_built_dashboard_is_committed() -> None:
    assert {p.name for p in DASHBOARD_FILES} == {Path(p).name for p in build.DASHBOARDS}


def test_provisioned_datasource_has_the_uid_dashboards_use() -> None:
    provisioning = yaml.safe_load(
        (ROOT / "grafana/provisioning/datasources/perfstack.yml").read_text()
    )
    (datasource,) = provisioning["datasources"]
    assert datasource["uid"] == config.DATASOURCE_UID
    assert datasource["type"] == "prometheus"


def test_dashboard_provider_points_at_a_directory() -> None:
    provisioning = yaml.safe_load(
        (ROOT / "grafana/provisioning/dashboards/perfstack.yml").read_text()
    )
    (provider,) = provisioning["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"]


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda p: p.name)
def test_dashboard_is_well_formed(path: Path) -> None:
    dashboard = _load(path)
    assert dashboard["uid"] and dashboard["title"] and config.DASHBOARD_TAG in dashboard["tags"]
    refs = list(_datasource_refs(dashboard))
    assert refs, "no datasource reference at all"
    wrong = [ref for ref in refs if ref != config.DATASOURCE]
    assert wrong == [], f"datasource references not using uid {config.DATASOURCE_UID}: {wrong}"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            continue
        exprs = [target.get("expr", "").strip() for target in panel.get("targets", [])]
        assert exprs and all(exprs), f"panel {panel['title']!r} has no query"
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]


@pytest.mark.parametrize("path", RUN_DASHBOARD_FILES, ids=lambda p: p.name)
def test_testid_variable_is_multi_select_newest_first(path: Path) -> None:
    variables = {v["name"]: v for v in _load(path)["templating"]["list"]}
    testid = variables["testid"]
    assert testid["multi"] is True
    assert testid["sort"] == 0, "Grafana must keep the query's order (newest first)"
    assert (
        "sort_desc" in testid["query"] and "loadgen_run_start_timestamp_seconds" in testid["query"]
    )
    assert re.fullmatch(r"/(.*)/", testid["regex"])
    for panel in _load(path)["panels"]:
        for target in panel.get("targets", []):
            if is_level_query(target["expr"]):
                # a rule file's level belongs to its rule set, not to a run (a line drawn
                # only beside the panel's data reads the run in that condition alone)
                level = level_part(target["expr"])
                assert level.startswith(("min(", "max(")), target["expr"]
                assert "testid" not in level
                if level != target["expr"]:
                    assert 'testid=~"$testid"' in target["expr"], (panel["title"], target)
                continue
            assert 'testid=~"$testid"' in target["expr"], (panel["title"], target["expr"])


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda p: p.name)
def test_links_reach_every_other_dashboard_and_annotations_mark_runs(path: Path) -> None:
    dashboard = _load(path)
    uids = {_load(p)["uid"] for p in DASHBOARD_FILES}
    linked = {link["url"].removeprefix("/d/") for link in dashboard["links"]}
    assert linked == uids - {dashboard["uid"]}
    assert all(link["includeVars"] and link["keepTime"] for link in dashboard["links"])
    names = {a["name"] for a in dashboard["annotations"]["list"]}
    assert ({"Change points", "Runs"} if path == HISTORY else {"Run start", "Run end"}) <= names


def test_history_selects_one_scenario_and_every_query_is_scoped_to_it() -> None:
    dashboard = _load(HISTORY)
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["scenario"]["multi"] is False
    assert variables["name"]["allValue"] == ".*", "All must match the whole run's name=''"
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [a["expr"] for a in dashboard["annotations"]["list"]]
    assert exprs and all('scenario=~"$scenario"' in e for e in exprs)


def _alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load((ROOT / build.ALERT_RULES).read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_alerts_are_named_and_annotated_consistently() -> None:
    for rule in _alerts():
        assert re.fullmatch(rf"{config.ALERT_PREFIX}([A-Z][a-zA-Z]+)", rule["alert"]), rule["alert"]
        # a regression's severity is its size, in the seeds' words (minor 10-25%, major
        # 25-50%, critical above); Alertmanager routes critical fast, the rest by default
        allowed = (
            {"minor", "major", "critical"}
            if rule["alert"] == f"{config.ALERT_PREFIX}RegressionDetected"
            else {"critical", "warning"}
        )
        assert rule["labels"]["severity"] in allowed, rule["alert"]
        assert set(rule["annotations"]) >= {"summary", "description", "runbook_url"}


def test_every_runbook_url_anchor_is_a_heading_of_the_runbook() -> None:
    runbook = (ROOT / "docs" / "runbook.md").read_text()
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in runbook.splitlines()
        if line.startswith("#")
    }
    for rule in _alerts():
        url = rule["annotations"]["runbook_url"]
        assert url.startswith(config.RUNBOOK_BASE + "#")
        assert url.split("#", 1)[1] in headings, f"{rule['alert']}: no heading for {url}"
