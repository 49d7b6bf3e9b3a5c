"""The plugin's hot path and the worker-to-master histogram deltas, without Locust."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from loadgen.locust.names import AgreedNames
from loadgen.locust.recorder import CEILING_MS, RequestRecorder
from perfstack.metrics.families import go_float
from perfstack.metrics.registry import Registry
from perfstack.metrics.schema import LATENCY_BUCKETS
from perfstack.push.snapshot import Snapshotter


def recorder(cap: int = 200) -> tuple[RequestRecorder, CollectorRegistry]:
    registry = CollectorRegistry()
    return RequestRecorder(registry, cap), registry


def value(registry: CollectorRegistry, metric: str, **labels: str) -> float:
    return registry.get_sample_value(metric, labels) or 0.0


def test_requests_land_in_histogram_counter_failures_and_exact_totals():
    rec, registry = recorder()
    ok = SimpleNamespace(status_code=200)
    for ms in (10, 20, 30):
        rec.on_request("GET", "/a", ms, response=ok)
    rec.on_request(
        "GET", "/a", 40, response=SimpleNamespace(status_code=503), exception=RuntimeError("x")
    )
    rec.on_request("POST", "/b", 5, response=None, exception=ConnectionRefusedError())
    assert (
        value(registry, "loadgen_http_requests_total", name="/a", method="GET", status="200") == 3
    )
    assert (
        value(registry, "loadgen_http_requests_total", name="/b", method="POST", status="none") == 1
    )
    failures = "loadgen_http_request_failures_total"
    assert value(registry, failures, name="/a", method="GET", error_type="http_5xx") == 1
    assert value(registry, failures, name="/b", method="POST", error_type="connection_refused") == 1
    names, overall = rec.summary()
    assert names["/a"]["requests"] == 4 and names["/a"]["failures"] == 1
    assert names["/a"]["percentiles"]["max"] == pytest.approx(0.040, rel=0.001)
    assert overall["p50"] == pytest.approx(0.020, rel=0.001)
    assert rec.errors_by_type == {"http_5xx": 1, "connection_refused": 1}


def test_methods_of_one_name_are_kept_apart_in_the_exact_totals_and_the_worker_deltas():
    single, _ = recorder()
    worker, _ = recorder()
    master, _ = recorder()
    for rec in (single, worker):
        for ms in (10, 20, 30):
            rec.on_request("GET", "/items/[id]", ms, response=SimpleNamespace(status_code=200))
        rec.on_request("PUT", "/items/[id]", 400, exception=RuntimeError("x"))
    master.merge_deltas(worker.take_deltas())
    for rec in (single, master):
        names, _ = rec.summary()
        item = names["/items/[id]"]
        assert (item["requests"], item["failures"]) == (4, 1)
        assert item["percentiles"]["max"] == pytest.approx(0.400, rel=0.001)
        get, put = item["methods"]["GET"], item["methods"]["PUT"]
        assert (get["requests"], get["failures"]) == (3, 0)
        assert get["percentiles"]["max"] == pytest.approx(0.030, rel=0.001)
        assert (put["requests"], put["failures"]) == (1, 1)
        assert put["percentiles"]["p50"] == pytest.approx(0.400, rel=0.001)
        # the exact distribution, per method and merged over the name; 10 ms is recorded as
        # HdrHistogram's 10.007 ms (within 0.1%), above the 10 ms bound (20 ms alike)
        assert get["histogram"] == [[0.0125, 1], [0.025, 1], [0.0315, 1]]
        assert put["histogram"] == [[0.5, 1]]  # 400 ms: 400.255 ms recorded
        assert item["histogram"] == [*get["histogram"], *put["histogram"]]


def test_overflowing_names_share_one_series_and_are_counted():
    rec, registry = recorder(cap=2)
    for i in range(5):
        rec.on_request("GET", f"/items/{i}", 1.0, response=SimpleNamespace(status_code=200))
    assert (
        value(registry, "loadgen_http_requests_total", name="_other_", method="GET", status="200")
        == 3
    )
    assert value(registry, "loadgen_name_overflow_total") == 3
    assert set(rec.totals) == {"/items/0", "/items/1", "_other_"}


def test_deltas_from_two_workers_merge_into_the_same_totals_as_one_process():
    single, _ = recorder()
    worker_a, _ = recorder()
    worker_b, _ = recorder()
    master, master_registry = recorder()
    for i in range(1, 400):
        worker = worker_a if i % 3 else worker_b
        for rec in (single, worker):
            rec.on_request("GET", f"/n{i % 2}", i * 0.7, exception=None if i % 7 else OSError())
    master.merge_deltas(worker_a.take_deltas())
    master.merge_deltas(worker_b.take_deltas())
    assert master.summary() == single.summary()
    assert master.errors_by_type == single.errors_by_type
    assert worker_a.take_deltas() == {"names": {}, "errors": {}}  # taken once
    master.publish_run_quantiles()
    published = value(
        master_registry,
        "loadgen_http_request_duration_run_seconds",
        name="_overall_",
        quantile="0.95",
    )
    assert published == single.summary()[1]["p95"]


def test_histogram_buckets_match_a_per_request_observe():
    rec, registry = recorder()
    reference = CollectorRegistry()
    child = Histogram("h_seconds", "h", buckets=LATENCY_BUCKETS, registry=reference)
    values_ms = [0.05, 0.1, 1.0, 1.0001, 2.5, 7.0, 7.0, 19.99, 250.0, 1234.5, 45_000.0, 90_000.0]
    for ms in values_ms:
        rec.on_request("GET", "/x", ms, response=SimpleNamespace(status_code=200))
        child.observe(ms / 1000.0)
    ours = {
        s.labels["le"]: s.value
        for m in registry.collect()
        for s in m.samples
        if s.name.endswith("_bucket")
    }
    theirs = {
        s.labels["le"]: s.value
        for m in reference.collect()
        for s in m.samples
        if s.name.endswith("_bucket")
    }
    assert ours == theirs
    assert value(
        registry, "loadgen_http_request_duration_seconds_sum", name="/x", method="GET", status="200"
    ) == (pytest.approx(sum(values_ms) / 1000.0))


def test_requests_without_a_usable_time_are_counted_but_not_observed():
    rec, registry = recorder()
    ok = SimpleNamespace(status_code=200)
    rec.on_request("GET", "/a", 12.0, response=ok)
    rec.on_request("GET", "/b", None, response=ok)  # Locust allows it (num_none_requests)
    rec.on_request("GET", "/b", 8.0, response=ok)
    rec.on_request("GET", "/b", float("nan"), response=ok)
    rec.on_request("GET", "/c", 7.0, response=None, exception=ConnectionRefusedError())
    labels = {"method": "GET", "status": "200"}
    assert value(registry, "loadgen_http_requests_total", name="/b", **labels) == 3
    assert value(registry, "loadgen_http_request_duration_seconds_count", name="/b", **labels) == 1
    assert value(
        registry, "loadgen_http_request_duration_seconds_sum", name="/b", **labels
    ) == pytest.approx(0.008)
    # the keys after the untimed one are not lost
    assert value(registry, "loadgen_http_requests_total", name="/a", **labels) == 1
    assert (
        value(registry, "loadgen_http_requests_total", name="/c", method="GET", status="none") == 1
    )
    assert rec.errors_by_type == {"connection_refused": 1}
    names, overall = rec.summary()
    assert names["/b"]["requests"] == 3
    assert names["/b"]["percentiles"]["max"] == pytest.approx(0.008, rel=0.001)
    assert overall["max"] == pytest.approx(0.012, rel=0.001)


def test_an_absurdly_long_time_is_clamped_and_loses_no_other_request():
    # 1e308 ms overflows an int conversion in microseconds; before the ceiling the fold
    # raised, and the second's pending requests of every name were lost with it
    rec, registry = recorder()
    ok = SimpleNamespace(status_code=200)
    rec.on_request("GET", "/a", 5.0, response=ok)
    rec.on_request("GET", "/b", 1e308, response=ok)
    rec.on_request("GET", "/b", 1e308, response=ok)
    rec.on_request("GET", "/b", 4.0, response=ok)
    rec.flush()
    labels = {"method": "GET", "status": "200"}
    assert value(registry, "loadgen_http_requests_total", name="/a", **labels) == 1
    assert value(registry, "loadgen_http_requests_total", name="/b", **labels) == 3
    assert value(registry, "loadgen_http_request_duration_seconds_count", name="/b", **labels) == 3
    assert value(
        registry, "loadgen_http_request_duration_seconds_sum", name="/b", **labels
    ) == pytest.approx(2 * CEILING_MS / 1000.0)
    names, _ = rec.summary()
    assert names["/b"]["requests"] == 3
    assert rec.totals["/b"].latency.clamped == 2
    assert names["/b"]["percentiles"]["p50"] == pytest.approx(3600.0, rel=0.001)  # 1 h
    assert names["/a"]["percentiles"]["max"] == pytest.approx(0.005, rel=0.001)


def test_a_custom_client_firing_non_text_names_and_methods_gets_text_labels():
    rec, registry = recorder()
    rec.on_request(7, 123, 5.0, response=SimpleNamespace(status_code=200))
    rec.on_request(None, None, 6.0, response=None, exception=RuntimeError("x"))
    labels = {"method": "7", "status": "200"}
    assert value(registry, "loadgen_http_requests_total", name="123", **labels) == 1
    assert (
        value(registry, "loadgen_http_requests_total", name="None", method="None", status="none")
        == 1
    )
    assert (
        value(
            registry, "loadgen_http_request_failures_total",
            name="None", method="None", error_type="other",
        )
        == 1
    )  # fmt: skip
    names, _ = rec.summary()
    assert set(names) == {"123", "None"}


def test_a_non_text_name_does_not_break_the_snapshots_that_follow():
    registry = Registry()
    rec = RequestRecorder(registry, 200)
    snapshots = Snapshotter(registry, {"testid": "t"})
    rec.on_request("GET", 123, 5.0, response=SimpleNamespace(status_code=200))
    first = snapshots.take()
    rec.on_request("GET", "/b", 5.0, response=SimpleNamespace(status_code=200))
    assert snapshots.take().samples > first.samples > 0


def test_a_text_status_code_neither_breaks_the_fold_nor_loses_other_failures():
    rec, registry = recorder()
    text = SimpleNamespace(status_code="UNAVAILABLE")
    rec.on_request("GET", "/a", 5.0, response=text, exception=ConnectionRefusedError())
    rec.on_request("GET", "/b", 5.0, response=SimpleNamespace(status_code="503"), exception=None)
    rec.on_request(
        "GET", "/b", 5.0, response=SimpleNamespace(status_code="503"), exception=OSError()
    )
    rec.flush()
    assert rec.errors_by_type == {"connection_refused": 1, "http_5xx": 1}
    assert (
        value(
            registry, "loadgen_http_requests_total", name="/a", method="GET", status="UNAVAILABLE"
        )
        == 1
    )
    names, _ = rec.summary()
    assert names["/a"]["failures"] == 1 and names["/b"]["failures"] == 1


def test_a_name_with_a_lone_surrogate_is_exposed_escaped_everywhere():
    rec, registry = recorder()
    rec.on_request("GET", "/caf\udce9", 5.0, response=SimpleNamespace(status_code=200))
    rec.on_request("GET", "/café", 5.0, response=SimpleNamespace(status_code=200))
    rec.flush()
    exposition = generate_latest(registry).decode()  # pull mode's /metrics
    assert 'name="/caf\\\\udce9"' in exposition and 'name="/café"' in exposition
    names, _ = rec.summary()
    assert set(names) == {"/caf\\udce9", "/café"}


def test_untimed_requests_travel_with_the_worker_deltas():
    worker, _ = recorder()
    master, _ = recorder()
    worker.on_request("GET", "/b", None)
    worker.on_request("GET", "/b", 4.0)
    master.merge_deltas(worker.take_deltas())
    names, _ = master.summary()
    assert names["/b"]["requests"] == 2


def test_the_master_caps_the_union_of_the_names_its_workers_admitted():
    first, _ = recorder(cap=1)
    second, _ = recorder(cap=1)
    master, master_registry = recorder(cap=1)
    for worker, names in ((first, ("/x", "/y")), (second, ("/y", "/x"))):
        for name in names:
            for _ in range(50):
                worker.on_request("GET", name, 3.0)
    master.merge_deltas(first.take_deltas())
    master.merge_deltas(second.take_deltas())
    names, _ = master.summary()
    # /x admitted by the first worker's report; /y was the second worker's, over the cap
    assert {name: values["requests"] for name, values in names.items()} == {
        "/x": 50,
        "_other_": 150,
    }
    assert master.guard.overflow_count == 50  # what the master folded; workers count theirs
    assert value(master_registry, "loadgen_name_overflow_total") == 50


def test_workers_fold_a_new_name_only_once_the_master_admitted_it():
    master, _ = recorder(cap=2)
    registries = [CollectorRegistry(), CollectorRegistry()]
    workers = [RequestRecorder(registry, 2, agreed_names=True) for registry in registries]
    for index, worker in enumerate(workers):
        for name in (f"/w{index}-a", f"/w{index}-b", "/shared"):
            for _ in range(10):
                worker.on_request("GET", name, 2.0, exception=RuntimeError("x"))
        worker.flush()
    # nothing folded while the names wait for the master
    assert all(not worker.totals for worker in workers)
    assert value(registries[0], "loadgen_http_requests_total", name="/w0-a", method="GET",
                 status="none") == 0  # fmt: skip
    for worker in workers:
        assert isinstance(worker.guard, AgreedNames)
        answer = master.guard.answer(worker.guard.take_questions())
        worker.guard.decide(answer["admitted"], answer["full"])
        worker.flush()
    for worker in workers:
        master.merge_deltas(worker.take_deltas())
    names, _ = master.summary()
    assert {name: values["requests"] for name, values in names.items()} == {
        "/w0-a": 10, "/w0-b": 10, "_other_": 40,
    }  # fmt: skip
    assert {name: values["failures"] for name, values in names.items()} == {
        "/w0-a": 10, "/w0-b": 10, "_other_": 40,
    }  # fmt: skip
    exported = set()
    for registry in registries:
        for metric in registry.collect():
            for sample in metric.samples:
                if sample.name == "loadgen_http_requests_total":
                    exported.add(sample.labels["name"])
    assert exported == {"/w0-a", "/w0-b", "_other_"}  # the cap + 1 over both workers
    assert sum(worker.guard.overflow_count for worker in workers) == 40


def test_the_final_deltas_decide_unanswered_names_alone_and_lose_no_request():
    worker = RequestRecorder(CollectorRegistry(), 1, agreed_names=True)
    for name in ("/a", "/b"):
        worker.on_request("GET", name, 2.0)
        worker.on_request("GET", name, 4.0, exception=RuntimeError("x"))
    deltas = worker.take_deltas()
    assert {
        name: {method: failures for method, (_, failures, _) in methods.items()}
        for name, methods in deltas["names"].items()
    } == {"/a": {"GET": 1}, "_other_": {"GET": 1}}
    assert isinstance(worker.guard, AgreedNames) and worker.guard.decided_alone == 2
    master, _ = recorder()
    master.merge_deltas(deltas)
    names, _ = master.summary()
    assert sum(values["requests"] for values in names.values()) == 4


def test_a_worker_quitting_unanswered_still_exports_every_held_request():
    # the plugin's on_quit on a worker: decide_waiting_names, then the last push's flush
    registry = CollectorRegistry()
    worker = RequestRecorder(registry, 5, agreed_names=True)
    for _ in range(3):
        worker.on_request("GET", "/held", 2.0, response=SimpleNamespace(status_code=200))
    worker.flush()
    requests = ("loadgen_http_requests_total", {"name": "/held", "method": "GET", "status": "200"})
    assert (registry.get_sample_value(*requests) or 0) == 0  # held for the master's answer
    worker.decide_waiting_names()
    worker.flush()
    assert registry.get_sample_value(*requests) == 3


def test_corrected_latency_adds_the_iterations_start_lag_and_travels_with_the_deltas():
    import gevent

    from loadgen.locust.lag import set_lag

    rec, registry = recorder()
    rec.correcting = True
    ok = SimpleNamespace(status_code=200)

    def user(lag: float | None, times_ms: tuple[float, ...]) -> None:
        set_lag(lag)
        for ms in times_ms:
            rec.on_request("GET", "/a", ms, response=ok)

    gevent.joinall([gevent.spawn(user, 1.5, (10.0, 20.0)), gevent.spawn(user, None, (30.0,))])
    corrected = "loadgen_http_request_corrected_duration_seconds"
    # every request of a late iteration gets the iteration's lag; one with none its own time
    assert value(registry, f"{corrected}_count", name="/a", method="GET") == 3
    assert value(registry, f"{corrected}_sum", name="/a", method="GET") == pytest.approx(3.06)
    below_one = go_float(max(bound for bound in LATENCY_BUCKETS if bound < 1.0))
    assert value(registry, f"{corrected}_bucket", name="/a", method="GET", le=below_one) == 1
    assert value(registry, f"{corrected}_bucket", name="/a", method="GET", le="+Inf") == 3
    observed = "loadgen_http_request_duration_seconds_sum"
    assert value(registry, observed, name="/a", method="GET", status="200") == pytest.approx(0.06)
    names, overall = rec.summary()
    assert overall["max"] == pytest.approx(0.030, rel=0.001)
    assert names["/a"]["corrected_percentiles"]["max"] == pytest.approx(1.52, rel=0.001)
    # a worker's deltas carry the corrected histogram to the master
    worker = RequestRecorder(Registry(), 200)
    worker.correcting = True
    gevent.spawn(lambda: (set_lag(0.5), worker.on_request("GET", "/a", 5.0, response=ok))).join()
    master = RequestRecorder(Registry(), 200)
    master.merge_deltas(worker.take_deltas())
    merged = master.overall_corrected()
    assert merged is not None and merged.percentiles()[1.0] == pytest.approx(0.505, rel=0.001)


def test_a_run_without_intended_starts_exports_no_corrected_family():
    rec, registry = recorder()
    rec.on_request("GET", "/a", 10.0, response=SimpleNamespace(status_code=200))
    exposition = generate_latest(registry).decode().splitlines()
    assert not [line for line in exposition if line.startswith("loadgen_http_request_corrected")]
    assert rec.overall_corrected() is None
    names, _ = rec.summary()
    assert "corrected_percentiles" not in names["/a"]
