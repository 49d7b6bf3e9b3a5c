"""Grafana variable substitution used to run the dashboards' queries without Grafana."""

from __future__ import annotations

import pytest

from perfstack.mixin import overview
from perfstack.mixin.queries import panel_queries, substitute


def test_substitute_one_testid_and_intervals() -> None:
    expr = 'sum(rate(x{testid=~"$testid"}[$__rate_interval])) / $__range_s + y[$__range]'
    assert substitute(expr, ["run-1"], range_seconds=90) == (
        'sum(rate(x{testid=~"run-1"}[1m])) / 90 + y[90s]'
    )


def test_substitute_several_testids_as_an_escaped_alternation() -> None:
    assert substitute('{testid=~"$testid"}', ["a.1", "b"], range_seconds=60) == (
        '{testid=~"(a\\\\.1|b)"}'
    )


def test_substitute_refuses_to_leave_a_variable() -> None:
    with pytest.raises(ValueError, match=r"\$unknown"):
        substitute('x{a=~"$unknown"}', ["t"], range_seconds=60)


def test_panel_queries_name_their_panel() -> None:
    queries = list(panel_queries(overview.build()))
    assert any(q.panel == "Requests by name" and q.instant for q in queries)
    assert all(q.where().startswith("Perfstack / Load test overview / ") for q in queries)


def test_substitute_leaves_label_replace_capture_references() -> None:
    expr = 'label_replace(up{testid=~"$testid"}, "run", "$1", "testid", "(.+)")'
    assert substitute(expr, ["a"], range_seconds=60) == (
        'label_replace(up{testid=~"a"}, "run", "$1", "testid", "(.+)")'
    )
