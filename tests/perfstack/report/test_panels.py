"""The report's charts copy the dashboards' graphs: the same queries, one graph each."""

from __future__ import annotations

from perfstack.mixin import overview
from perfstack.report.panels import chart_specs


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
