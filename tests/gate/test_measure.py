from __future__ import annotations

import pytest

from gate.measure import record_figure, record_query


@pytest.mark.parametrize(
    ("figure", "short"),
    [
        ("percentiles.p95", "p95"),
        ("names['/api/v1.2/items'].percentiles.p99", "p99"),
        ("names['/a].b'].methods['GET'].percentiles.max", "max"),
        ("failures / requests", "failures/requests"),
        ("names['/x.y'].failures / requests", "failures/requests"),
        ("requests / duration", "requests/duration"),
        ("requests", "requests"),
    ],
)
def test_the_record_figure_a_query_names_short(figure: str, short: str) -> None:
    """What the terminal table shows as the source: `record p95 exact`."""
    assert record_figure(record_query("smoke-1", figure)) == short
