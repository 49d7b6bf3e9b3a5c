"""The report's charts copy the dashboards' graphs: the same queries, one graph each."""

from __future__ import annotations

from perfstack.mixin import open_model, overview
from perfstack.mixin.thresholds import is_level_query
from perfstack.report.panels import ARRIVAL, CORRECTED, OPEN_MODEL, chart_specs


def test_each_chart_has_the_graphs_queries_and_not_a_stat_of_the_same_title() -> None:
    specs = {spec.key: spec for spec in chart_specs()}
    # "Active users" is both a stat and a graph on the overview: only the graph's query
    assert specs["active_users"].queries == (
        ('sum by (testid) (loadgen_users_active{testid=~"$testid", generator="locust"})',
         "{{testid}}"),
    )  # fmt: skip
    assert len(specs["ws_open"].queries) == 1
    graph = next(p for p in overview.build()["panels"] if p["title"] == "p95 latency by name")
    assert specs["latency_by_name"].queries[1][0] == graph["targets"][0]["expr"]
    assert len({spec.key for spec in specs.values()}) == len(specs)
    # the dashboards' rule-file level lines are not charted for one run
    assert len(specs["ws_rtt"].queries) == len(specs["target_rss"].queries) == 1
    assert all("gate:objective_threshold" not in q for s in specs.values() for q, _ in s.queries)


def test_the_open_model_charts_take_the_overviews_open_model_panels() -> None:
    specs = {spec.key: spec for spec in chart_specs() if spec.section == OPEN_MODEL}
    panels = {p["title"]: p for p in overview.build()["panels"]}
    copied = {
        "arrival_rate": "Iterations per second: requested vs achieved",
        "dropped_iterations": "Dropped iterations per second",
        "dropped_ratio": "Dropped ratio",
        "latency_corrected": "Latency observed vs corrected (p95 / p99)",
        "generator_saturated": "Generator saturated",
    }
    assert set(specs) == set(copied)
    for key, title in copied.items():
        assert title in open_model.ONLY_OPEN_MODEL or title == "Generator saturated"
        expected = tuple(
            (target["expr"], target["legendFormat"])
            for target in panels[title]["targets"]
            if not is_level_query(target["expr"])  # the live rule-file level: not one run's
        )
        assert specs[key].queries == expected, key
    assert len(specs["latency_corrected"].queries) == 4  # p95, p99: observed, corrected
    assert [key for key, spec in specs.items() if spec.needs == CORRECTED] == ["latency_corrected"]
    assert all(spec.needs == ARRIVAL for key, spec in specs.items() if key != "latency_corrected")
