"""How the recording rules are grouped. Prometheus evaluates each group at its own offset
within the evaluation interval and stamps the results with that moment, so only results of
one group describe the same moment (the rules' values are tested by tests/rules/ with
promtool, which evaluates every group at once and cannot see this)."""

from __future__ import annotations

import re

from perfstack.mixin import recording as r


def _group_and_position() -> dict[str, tuple[str, int]]:
    """{recorded name: (group, index of its first rule in the group)}."""
    found: dict[str, tuple[str, int]] = {}
    for group in r.recording_groups():
        for index, rule in enumerate(group["rules"]):
            found.setdefault(rule["record"], (group["name"], index))
    return found


def test_observed_and_corrected_latency_are_evaluated_together() -> None:
    """The Overview draws both estimates side by side (issue 26: from two groups, a step
    compared the observed p95 of one moment, 10.8 ms, with the corrected one of another,
    5.1 ms). The corrected buckets come right after the observed ones, so a push landing
    while the group runs falls between the two queries only within that one rule's time."""
    where = _group_and_position()
    observed_group, observed_at = where[r.HTTP_DURATION_BUCKETS]
    assert where[r.HTTP_CORRECTED_BUCKETS] == (observed_group, observed_at + 1)
    assert where[r.HTTP_DURATION_QUANTILE][0] == where[r.HTTP_CORRECTED_QUANTILE][0]
    assert where[r.HTTP_CORRECTED_QUANTILE][0] == observed_group


def test_a_rule_reads_recorded_series_of_its_own_group_evaluated_before_it() -> None:
    where = _group_and_position()
    read = 0
    for group in r.recording_groups():
        for index, rule in enumerate(group["rules"]):
            for name in re.findall(r"[a-z_]+:[a-z_]+:[a-z_0-9]+", rule["expr"]):
                assert name in where, (rule["record"], name)
                source_group, source_at = where[name]
                assert source_group == group["name"], (rule["record"], name)
                assert source_at < index, (rule["record"], name)
                read += 1
    assert read >= 13  # the three ratios' two rates, the quantiles of each histogram
