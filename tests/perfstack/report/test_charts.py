"""The latency distribution chart from the run record: the exact histograms as drawn, and
the percentile curve for records written before histograms were kept."""

from __future__ import annotations

import pytest

from perfstack.core.record import NameStats, RunRecord
from perfstack.report.charts import distribution_chart


def record(**names: NameStats) -> RunRecord:
    return RunRecord(
        testid="t-1", scenario="s", generator="locust", target="http://127.0.0.1:1",
        start=1.0, end=2.0, names=dict(names),
    )  # fmt: skip


def drawn(run: RunRecord) -> dict[str, dict[str, list[float]]]:
    chart = distribution_chart(run)
    assert chart is not None
    return {
        renderer.name: {key: list(values) for key, values in renderer.data_source.data.items()}
        for renderer in chart.renderers
    }


def test_each_name_is_drawn_as_its_exact_histogram_with_the_overall_outline() -> None:
    run = record(
        a=NameStats(6, 0, {"p50": 0.0011}, histogram=[[0.001, 2], [0.00125, 3], [0.5, 1]]),
        b=NameStats(2, 1, {"p50": 0.2}, histogram=[[0.2, 2]]),
    )
    run.histogram = [[0.001, 2], [0.00125, 3], [0.2, 2], [0.5, 1]]
    lines = drawn(run)
    assert set(lines) == {"a", "b", "all requests"}
    # bars from the bound below to the bin's own, in milliseconds; counts as recorded
    assert lines["a"]["x"] == pytest.approx([1.0, 1.25, 500.0])
    assert lines["a"]["left"] == pytest.approx([0.8, 1.0, 400.0])
    assert lines["a"]["y"] == [2, 3, 1]
    assert lines["b"]["left"] == pytest.approx([160.0]) and lines["b"]["y"] == [2]
    assert lines["all requests"]["y"] == [2, 3, 2, 1]


def test_an_older_record_gets_the_percentile_curve_and_none_without_requests() -> None:
    run = record(a=NameStats(3, 0, {"p50": 0.01, "p99": 0.02, "max": 0.03}))
    lines = drawn(run)
    assert lines["a"]["x"] == [50.0, 99.0, 100.0]
    assert lines["a"]["y"] == pytest.approx([10.0, 20.0, 30.0])
    assert distribution_chart(record()) is None
