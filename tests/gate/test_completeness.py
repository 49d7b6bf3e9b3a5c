"""The gate against a Prometheus that holds only part of a run (real Prometheus, exact
fixture data): what the record has exactly is judged from it, the rest is inconclusive,
and nothing passes on the partial data."""

from __future__ import annotations

from gate.evaluate import Gate
from gate.prometheus import PrometheusClient
from gate.rules import parse_rules
from gate.verdicts import Status
from gate.window import from_record

REQUESTS = "loadgen_http_requests_total"
FAILURES = "loadgen_http_request_failures_total"


def evaluate(stack, text: str, record, baseline=None):
    with PrometheusClient(stack.prometheus_url) as client:
        return Gate(client, parse_rules(text, "c.yaml"), baseline).evaluate(from_record(record))


def partial_run(run_data, **record_fields):
    """Prometheus holds 200 requests and no failure; the record counted 500 and 50."""
    run = run_data()
    run.write(run.counter(REQUESTS, 200, name="a", method="GET", status="200"))
    fields = {"requests": 500, "failures": 50, "percentiles": {"p95": 0.25}} | record_fields
    return run, run.record(**fields)


def test_a_partial_run_is_judged_from_the_record_where_it_has_the_exact_figure(
    run_data, stack
) -> None:
    _, record = partial_run(run_data)
    text = """
objectives:
  - {name: errors, sli: error_ratio, pass: "<= 5%"}
  - {name: count, sli: request_count, pass: ">= 1"}
  - {name: rps, sli: throughput, pass: ">= 1rps"}
  - {name: p95, sli: latency_p95, pass: "< 1s"}
  - {name: mean, sli: latency_mean, pass: "< 1s", on_no_data: pass}
  - {name: run-scoped raw, query: 'sum(last_over_time(loadgen_http_requests_total{testid="$testid"}[$range]))', pass: ">= 1"}
  - {name: target's own, query: "vector(1)", pass: ">= 1"}
"""  # noqa: E501
    result = evaluate(stack, text, record)
    by_name = {r.objective.name: r for r in result.objectives}
    loss = "Prometheus holds 200 of the run's 500 requests and 0 of its 50 failures"
    errors = by_name["errors"]
    assert (errors.status, errors.value, errors.source) == (Status.FAIL, 0.1, "run record")
    assert errors.samples == 500
    assert errors.query == f"run record {record.testid}: failures / requests (exact)"
    assert f"judged from the run record's exact figures: {loss}" in errors.reason
    assert (by_name["count"].value, by_name["count"].status) == (500.0, Status.PASS)
    assert by_name["rps"].value == 500 / 20.0
    assert by_name["p95"].value == 0.25 and by_name["p95"].source == "run record"
    for name in ("mean", "run-scoped raw"):  # no exact figure: inconclusive, whatever policy
        entry = by_name[name]
        assert entry.status is Status.NO_DATA and entry.value is None, name
        assert entry.reason.startswith(f"not judged: {loss}, and the run record has no exact")
    assert by_name["target's own"].status is Status.PASS  # reads nothing the run pushed
    assert result.status is Status.FAIL


def test_dropped_samples_with_complete_totals_still_count_as_a_loss(run_data, stack) -> None:
    run = run_data()
    run.write(run.counter(REQUESTS, 500, name="a", method="GET", status="200"))
    record = run.record(requests=500, samples_dropped=30)
    text = """
objectives:
  - {name: count, sli: request_count, pass: ">= 1"}
  - {name: mean, sli: latency_mean, pass: "< 1s"}
"""
    count, mean = evaluate(stack, text, record).objectives
    said = "Prometheus holds the run's totals; the generator dropped 30 samples it could not push"
    assert count.source == "run record" and count.value == 500.0 and said in count.reason
    assert mean.status is Status.NO_DATA and said in mean.reason


def test_a_relative_criterion_on_a_partial_run_uses_the_point_change(run_data, stack) -> None:
    from gate.baselines import BaselineValue

    class Fixed:
        description = "fixed"

        def get(self, objective):
            return BaselineValue(400.0, [1.0] * 10)

    _, record = partial_run(run_data)
    text = "objectives:\n  - {name: count, sli: request_count, relative: '>= -10%'}\n"
    entry = evaluate(stack, text, record, Fixed()).objectives[0]
    assert entry.intervals == [] and entry.baseline is not None
    assert entry.baseline.method == "point" and entry.baseline.change == 500 / 400 - 1


def test_a_complete_run_is_still_judged_from_prometheus(run_data, stack) -> None:
    run = run_data()
    run.write(
        run.counter(REQUESTS, 500, name="a", method="GET", status="200"),
        run.counter(FAILURES, 50, name="a", method="GET", error_type="http_5xx"),
    )
    record = run.record(requests=500, failures=50)
    text = "objectives:\n  - {name: errors, sli: error_ratio, pass: '<= 5%'}\n"
    entry = evaluate(stack, text, record).objectives[0]
    assert (entry.source, entry.value, entry.status) == ("prometheus", 0.1, Status.FAIL)
    assert "run record" not in entry.reason


def test_a_websocket_run_prometheus_holds_part_of(run_data, stack) -> None:
    run = run_data()
    run.write(run.counter("loadgen_ws_messages_sent_total", 40))
    record = run.record(requests=100, percentiles={"p95": 0.02})
    record.generator = "ws"
    text = """
objectives:
  - {name: rtt, sli: ws_rtt_p95, pass: "< 1s"}
  - {name: disconnects, sli: ws_unexpected_disconnects, pass: "< 1"}
"""
    rtt, disconnects = evaluate(stack, text, record).objectives
    loss = "Prometheus holds 40 of the run's 100 WebSocket messages sent"
    assert rtt.source == "run record" and rtt.value == 0.02 and loss in rtt.reason
    assert disconnects.status is Status.NO_DATA and loss in disconnects.reason


def test_when_the_comparison_cannot_be_made_the_run_data_is_not_judged(run_data, stack) -> None:
    """A Prometheus that fails only the comparison's query (a fake: a real one cannot be
    made to fail one query on demand): whether data is missing is unknown, so objectives
    reading the run's data are ERROR; one on the target's own metrics is still judged."""
    from gate.prometheus import PrometheusUnavailable

    class FailsTheComparison(PrometheusClient):
        def instant(self, query: str, time: float):
            if query.startswith(f"sum(last_over_time({FAILURES}{{"):
                raise PrometheusUnavailable("Prometheus at test timed out (ReadTimeout)")
            return super().instant(query, time)

    run = run_data()
    run.write(run.counter(REQUESTS, 500, name="a", method="GET", status="200"))
    record = run.record(requests=500)
    text = """
objectives:
  - {name: count, sli: request_count, pass: ">= 1"}
  - {name: target's own, query: "vector(1)", pass: ">= 1"}
"""
    with FailsTheComparison(stack.prometheus_url) as client:
        result = Gate(client, parse_rules(text, "c.yaml")).evaluate(from_record(record))
    count, own = result.objectives
    assert count.status is Status.ERROR and count.error_kind == "unavailable"
    assert "timed out" in count.reason
    assert own.status is Status.PASS
    assert int(result.exit_code()) == 4


def test_a_pytest_session_prometheus_holds_part_of(run_data, stack) -> None:
    """The record counted two benchmarks' rounds; Prometheus holds one benchmark: no
    benchmark objective is judged on what is left."""
    run = run_data()
    labels = {"generator": "pytest", "fullname": "t.py::test_a", "name": "test_a", "group": ""}
    rounds = run.gauge("pytest_benchmark_rounds", 30)
    mean = run.gauge("pytest_benchmark_mean_seconds", 0.002)
    run.write((rounds[0] | labels, rounds[1]), (mean[0] | labels, mean[1]))
    figures = {"rounds": 30, "mean": 0.002}
    record = run.record(extra={"benchmarks": {"t.py::test_a": figures, "t.py::test_b": figures}})
    record.generator = "pytest"
    text = "objectives:\n  - {name: a mean, sli: benchmark_mean, benchmark: test_a, pass: '< 1s'}\n"
    entry = evaluate(stack, text, record).objectives[0]
    assert entry.status is Status.NO_DATA
    assert "Prometheus holds 30 of the run's 60 benchmark rounds" in entry.reason
    figures["rounds"] = 15  # the record's 30 rounds in all: Prometheus holds the whole run
    entry = evaluate(stack, text, record).objectives[0]
    assert (entry.status, entry.value) == (Status.PASS, 0.002)
