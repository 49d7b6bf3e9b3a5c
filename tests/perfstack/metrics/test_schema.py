"""The latency buckets keep histogram_quantile within 5% of the exact quantile (1 ms..30 s).

`_histogram_quantile` re-implements Prometheus 2.42's interpolation; one test checks it
against the real Prometheus so the offline proof below is about the real function.
"""

from __future__ import annotations

import math
import random
import uuid
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from itertools import pairwise
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from perfstack.metrics.schema import (
    LATENCY_BUCKETS,
    QUANTILES,
    HttpMetrics,
    RunMetrics,
    geometric_buckets,
)
from perfstack.push.config import PushConfig
from perfstack.push.pusher import RemoteWritePusher
from perfstack.testing import PrometheusProcess
from tests.helpers import prom_scalar


def _histogram_quantile(q: float, bounds: Sequence[float], values: Sequence[float]) -> float:
    upper = [*bounds, math.inf]
    counts = [0] * len(upper)
    for value in values:
        counts[bisect_left(upper, value)] += 1
    cumulative, running = [], 0
    for count in counts:
        running += count
        cumulative.append(running)
    rank = q * cumulative[-1]
    b = next(i for i, c in enumerate([*cumulative[:-1], math.inf]) if c >= rank)
    if b == len(upper) - 1:
        return upper[-2]
    start, count = 0.0, float(cumulative[b])
    if b > 0:
        start, count, rank = upper[b - 1], count - cumulative[b - 1], rank - cumulative[b - 1]
    return start + (upper[b] - start) * (rank / count)


def _exact(q: float, ordered: Sequence[float]) -> float:
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _distributions() -> Iterator[tuple[str, list[float]]]:
    rng = random.Random(20260101)
    n = 20_000
    yield "lognormal 20ms s0.6", [rng.lognormvariate(math.log(0.02), 0.6) for _ in range(n)]
    yield "lognormal 300ms s1.2", [rng.lognormvariate(math.log(0.3), 1.2) for _ in range(n)]
    yield "exponential 50ms", [0.001 + rng.expovariate(1 / 0.05) for _ in range(n)]
    yield "uniform 1ms..30s", [rng.uniform(0.001, 30.0) for _ in range(n)]
    yield "bimodal 10ms/2s", [0.01 if rng.random() < 0.9 else 2.0 for _ in range(n)]
    # Point masses: the worst case for linear interpolation, including values just above
    # a bucket bound (the estimate then lands near the top of the bucket).
    for value in [0.001 * 1.3**i for i in range(40)] + [b * 1.0001 for b in LATENCY_BUCKETS[3:]]:
        if 0.001 <= value <= 30.0:
            yield f"point mass {value:.6g}s", [value] * 1000


def _worst_error(bounds: Sequence[float]) -> tuple[float, str]:
    worst = (0.0, "")
    for label, values in _distributions():
        ordered = sorted(values)
        for q in QUANTILES:
            exact = _exact(q, ordered)
            if not 0.001 <= exact <= 30.0:
                continue
            error = abs(_histogram_quantile(q, bounds, values) / exact - 1)
            worst = max(worst, (error, f"{label} q={q}"))
    return worst


def test_buckets_are_geometric_with_ratio_at_most_1_05_from_1ms_to_30s() -> None:
    first = bisect_left(LATENCY_BUCKETS, 0.001) - 1  # the bound just below 1 ms
    last = bisect_left(LATENCY_BUCKETS, 30.0)  # the first bound >= 30 s
    covering = LATENCY_BUCKETS[first : last + 1]
    assert covering[0] < 0.001 and covering[-1] >= 30.0
    assert max(hi / lo for lo, hi in pairwise(covering)) < 1.05 + 1e-12
    assert len(LATENCY_BUCKETS) == 219  # docs/metrics.md states the per-series cost


def test_histogram_quantile_is_within_5_percent_of_exact_for_every_distribution() -> None:
    error, where = _worst_error(LATENCY_BUCKETS)
    assert error < 0.05, where


def test_the_accuracy_check_catches_coarse_buckets() -> None:
    coarse = geometric_buckets(0.001, 30.0, 1.25)
    error, _ = _worst_error(coarse)
    assert error > 0.05


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusProcess]:
    process = PrometheusProcess(Path(tmp_path_factory.mktemp("prom-schema"))).start()
    yield process
    process.stop()


def test_prometheus_histogram_quantile_matches_the_offline_model(
    prometheus: PrometheusProcess,
) -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(math.log(0.08), 0.9) for _ in range(5000)]
    registry = CollectorRegistry()
    http = HttpMetrics(registry)
    http.duration.add_batch(("/q", "GET", "200"), [value * 1000.0 for value in values])
    testid = uuid.uuid4().hex
    config = PushConfig(url=prometheus.remote_write_url, labels={"testid": testid})
    assert RemoteWritePusher(registry, config).flush(timeout=10)
    ordered = sorted(values)
    for q in (0.5, 0.95, 0.99):
        expr = (
            f"histogram_quantile({q}, sum by (le) "
            f'(loadgen_http_request_duration_seconds_bucket{{testid="{testid}"}}))'
        )
        from_prometheus = prom_scalar(prometheus.url, expr)
        assert from_prometheus == pytest.approx(_histogram_quantile(q, LATENCY_BUCKETS, values))
        assert from_prometheus == pytest.approx(_exact(q, ordered), rel=0.05)
    total = f'loadgen_http_requests_total{{testid="{testid}"}}'
    assert prom_scalar(prometheus.url, total) == 5000.0


def test_every_metric_of_the_contract_is_exposed_with_its_labels() -> None:
    registry = CollectorRegistry()
    http, run = HttpMetrics(registry), RunMetrics(registry)
    http.duration.add_batch(("/a", "GET", "200"), [100.0])
    http.duration.add_batch(("/a", "GET", "none"), [1000.0])
    http.failures.labels("/a", "GET", "connection_refused").inc()
    http.users_active.labels("Light").set(3)
    http.publish_run_quantiles("_overall_", {q: 0.1 for q in QUANTILES})
    http.name_overflow.inc()
    run.started("http://127.0.0.1:8000", "Light,Heavy", 1_700_000_000.0)
    run.ended(1_700_000_060.0)
    text = generate_latest(registry).decode()
    expected = [
        "loadgen_http_request_duration_seconds_bucket"
        '{le="0.1008",method="GET",name="/a",status="200"} 1.0',
        'loadgen_http_requests_total{method="GET",name="/a",status="none"} 1.0',
        "loadgen_http_request_failures_total"
        '{error_type="connection_refused",method="GET",name="/a"} 1.0',
        'loadgen_users_active{user_class="Light"} 3.0',
        'loadgen_http_request_duration_run_seconds{name="_overall_",quantile="1"} 0.1',
        "loadgen_name_overflow_total 1.0",
        'loadgen_run_info{target="http://127.0.0.1:8000",user_classes="Light,Heavy"} 1.0',
        "loadgen_run_start_timestamp_seconds 1.7e+09",
        "loadgen_run_end_timestamp_seconds 1.70000006e+09",
    ]
    for line in expected:
        assert line in text
