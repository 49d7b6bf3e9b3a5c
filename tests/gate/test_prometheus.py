"""The client keeps 'the query is wrong' apart from 'Prometheus is not answering'."""

from __future__ import annotations

import math
import time

import pytest

from gate.prometheus import PrometheusClient, PrometheusUnavailable, QueryRejected
from tests.helpers import free_port


@pytest.fixture
def client(stack):
    with PrometheusClient(stack.prometheus_url) as prometheus:
        yield prometheus


def test_vectors_scalars_and_special_values(client: PrometheusClient) -> None:
    now = time.time()
    assert [s.value for s in client.instant("scalar(vector(2))", now)] == [2.0]
    several = client.instant('vector(1) or label_replace(vector(0) / 0, "x", "nan", "", "")', now)
    assert len(several) == 2 and any(math.isnan(s.value) for s in several)
    assert client.instant("vector(1) / 0", now)[0].value == math.inf
    assert client.instant("-1 * (vector(1) / 0)", now)[0].value == -math.inf
    assert client.instant('up{job="no-such-job"}', now) == []


def test_range_queries(client: PrometheusClient) -> None:
    now = time.time()
    result = client.range("vector(3)", now - 10, now, 2)
    assert (
        len(result) == 1
        and len(result[0].points) == 6
        and {v for _, v in result[0].points} == {3.0}
    )


def test_bad_query_is_rejected_with_prometheus_words(client: PrometheusClient) -> None:
    with pytest.raises(QueryRejected, match="bad_data"):
        client.instant("sum(rate(x[5m])", time.time())
    with pytest.raises(QueryRejected, match="bad_data"):  # too many points for one range query
        client.range("vector(1)", time.time() - 86400 * 30, time.time(), 0.1)


def test_unreachable_and_non_api_answers_are_unavailable(stack) -> None:
    with (
        PrometheusClient(f"http://127.0.0.1:{free_port()}") as dead,
        pytest.raises(PrometheusUnavailable, match="unreachable"),
    ):
        dead.instant("vector(1)", time.time())
    with (
        PrometheusClient(stack.prometheus_url + "/not-the-api") as wrong,
        pytest.raises(PrometheusUnavailable, match="HTTP 404"),
    ):
        wrong.instant("vector(1)", time.time())
