from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from perfstack.metrics.batch_histogram import BatchHistogram
from perfstack.push.remote_write import STALE_NAN_BITS
from perfstack.push.snapshot import Snapshotter
from tests.loadgen.remote_write_decoder import DecodedSeries, decode_body


def _series(batch_body: bytes) -> dict[str, DecodedSeries]:
    return {",".join(f"{k}={v}" for k, v in s.labels): s for s in decode_body(batch_body)}


def test_created_samples_are_skipped_and_static_labels_merged() -> None:
    registry = CollectorRegistry()
    Counter("c", "c", ["testid"], registry=registry).labels("own").inc(2)
    Histogram("h_seconds", "h", buckets=(1.0,), registry=registry).observe(0.5)
    batch = Snapshotter(registry, {"testid": "static", "scenario": "s"}, clock=lambda: 1.0).take()
    series = _series(batch.body)
    assert set(series) == {
        "__name__=c_total,scenario=s,testid=own",  # the series' own label wins
        "__name__=h_seconds_bucket,le=1.0,scenario=s,testid=static",
        "__name__=h_seconds_bucket,le=+Inf,scenario=s,testid=static",
        "__name__=h_seconds_count,scenario=s,testid=static",
        "__name__=h_seconds_sum,scenario=s,testid=static",
    }
    assert batch.samples == 5 and batch.timestamp_ms == 1000
    assert all(s.samples[0][1] == 1000 for s in series.values())


def test_timestamps_strictly_increase_even_when_the_clock_does_not() -> None:
    registry = CollectorRegistry()
    Gauge("g", "g", registry=registry).set(1)
    clock = iter([5.0, 5.0, 4.0, 6.0])
    snapshotter = Snapshotter(registry, {}, clock=lambda: next(clock))
    stamps = [snapshotter.take().timestamp_ms for _ in range(4)]
    assert stamps == [5000, 5001, 5002, 6000]


def test_vanished_series_get_a_stale_marker_and_stop_gets_all_of_them() -> None:
    registry = CollectorRegistry()
    users = Gauge("users", "u", ["cls"], registry=registry)
    users.labels("a").set(1)
    users.labels("b").set(2)
    snapshotter = Snapshotter(registry, {}, clock=lambda: 10.0)
    snapshotter.take()
    users.remove("b")
    second = _series(snapshotter.take().body)
    assert second["__name__=users,cls=a"].values() == [1.0]
    assert second["__name__=users,cls=b"].samples[0][0] == STALE_NAN_BITS
    third = _series(snapshotter.take().body)
    assert set(third) == {"__name__=users,cls=a"}  # marked once, not forever
    markers = snapshotter.stale_markers()
    assert markers.stale and markers.samples == 2
    assert {s.samples[0][0] for s in decode_body(markers.body)} == {STALE_NAN_BITS}


def test_duplicate_series_from_two_sources_are_sent_once() -> None:
    registry = CollectorRegistry()
    Gauge("g", "g", registry=registry).set(3)
    batch = Snapshotter(registry, {}, extra_sources=(registry,), clock=lambda: 1.0).take()
    assert batch.samples == 1


def test_a_removed_histogram_child_gets_stale_markers_for_all_its_series() -> None:
    registry = CollectorRegistry()
    histogram = Histogram("h_seconds", "d", ["n"], buckets=(1.0,), registry=registry)
    histogram.labels("keep").observe(0.5)
    histogram.labels("gone").observe(0.5)
    snapshotter = Snapshotter(registry, {}, clock=lambda: 1.0)
    assert snapshotter.take().samples == 2 * 4  # 2 buckets, sum, count
    histogram.remove("gone")
    series = _series(snapshotter.take().body)
    stale = {k for k, s in series.items() if s.samples[0][0] == STALE_NAN_BITS}
    assert stale == {k for k in series if "n=gone" in k} and len(stale) == 4
    assert series["__name__=h_seconds_count,n=keep"].values() == [1.0]


def test_series_with_kept_labels_encode_as_any_other_push_after_push() -> None:
    registry = CollectorRegistry()
    kept = BatchHistogram((0.01,))
    registry.register(kept)
    kept.add_batch(("/a", "GET", "200"), [2.0, 20.0])
    snapshotter = Snapshotter(registry, {"testid": "t"}, clock=lambda: 1.0)
    first, second = _series(snapshotter.take().body), _series(snapshotter.take().body)
    plain = CollectorRegistry()
    Histogram(
        "loadgen_http_request_duration_seconds", "", ["name", "method", "status"],
        buckets=(0.01,), registry=plain,
    ).labels("/a", "GET", "200")  # fmt: skip
    # the same series prometheus_client's own histogram sends, plus the requests counter
    names = set(_series(Snapshotter(plain, {"testid": "t"}, clock=lambda: 1.0).take().body))
    assert (
        set(first)
        == set(second)
        == names | {"__name__=loadgen_http_requests_total,method=GET,name=/a,status=200,testid=t"}
    )
    bucket = first[
        "__name__=loadgen_http_request_duration_seconds_bucket,le=0.01,method=GET,name=/a,"
        "status=200,testid=t"
    ]
    assert bucket.values() == [1.0]
