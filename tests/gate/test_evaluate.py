"""Objective policies against real data: on_no_data, on_no_baseline, scenarios, worst series,
the run record's exact percentiles and the histogram fallback."""

from __future__ import annotations

from gate.baselines import BaselineValue
from gate.evaluate import Gate
from gate.prometheus import PrometheusClient
from gate.rules import parse_rules
from gate.verdicts import Status
from gate.window import from_record

BUCKETS = (0.1, 0.2, 0.4, float("inf"))


class FixedBaseline:
    description = "fixed"

    def __init__(self, values: dict[str, float]) -> None:
        self.values = values

    def get(self, objective):
        value = self.values.get(objective.name)
        return None if value is None else BaselineValue(value)


def evaluate(stack, text: str, record, baseline=None):
    with PrometheusClient(stack.prometheus_url) as client:
        return Gate(client, parse_rules(text, "e.yaml"), baseline).evaluate(from_record(record))


def http_run(run_data, **record_fields):
    """100 requests: 50 under 100 ms, 30 in 100-200 ms, 20 in 200-400 ms."""
    run = run_data()
    cumulative = {0.1: 50, 0.2: 80, 0.4: 100, float("inf"): 100}
    series = [run.counter("loadgen_http_requests_total", 100, name="a", method="GET", status="200")]
    for bound, count in cumulative.items():
        le = "+Inf" if bound == float("inf") else str(bound)
        series.append(
            run.counter(
                "loadgen_http_request_duration_seconds_bucket",
                count,
                name="a",
                method="GET",
                status="200",
                le=le,
            )
        )
    run.write(*series)
    return run, run.record(requests=100, **record_fields)


def test_no_data_policies(run_data, stack) -> None:
    _, record = http_run(run_data)
    text = """
objectives:
  - {name: default, sli: ws_rtt_p95, pass: "< 1s"}
  - {name: as warn, sli: ws_rtt_p95, pass: "< 1s", on_no_data: warn}
  - {name: as fail, sli: ws_rtt_p95, pass: "< 1s", on_no_data: fail}
"""
    statuses = [r.status for r in evaluate(stack, text, record).objectives]
    assert statuses == [Status.NO_DATA, Status.WARN, Status.FAIL]


def test_no_baseline_policies(run_data, stack) -> None:
    _, record = http_run(run_data)
    text = """
objectives:
  - {name: missing, sli: request_count, relative: ">= -10%"}
  - {name: ignored, sli: request_count, pass: ">= 1", relative: ">= -10%", on_no_baseline: ignore}
  - {name: warned, sli: request_count, relative: ">= -10%", on_no_baseline: warn}
  - {name: present, sli: request_count, relative: ">= -10%"}
"""
    results = evaluate(stack, text, record, FixedBaseline({"present": 105.0})).objectives
    assert [r.status for r in results] == [Status.FAIL, Status.PASS, Status.WARN, Status.PASS]
    assert results[1].baseline is None
    assert results[3].baseline is not None and abs(results[3].baseline.change + 0.0476) < 1e-3  # type: ignore[operator]


def test_objectives_for_other_scenarios_are_skipped(run_data, stack) -> None:
    _, record = http_run(run_data)
    text = """
objectives:
  - {name: always, sli: request_count, pass: ">= 1"}
  - {name: peak only, sli: request_count, pass: ">= 1000000", scenarios: [peak]}
"""
    result = evaluate(stack, text, record)
    assert [r.objective.name for r in result.objectives] == ["always"]
    assert result.skipped == ["peak only"] and result.status is Status.PASS


def test_record_percentiles_win_over_the_histogram(run_data, stack) -> None:
    _, record = http_run(run_data, percentiles={"p95": 0.333})
    text = "objectives:\n  - {name: p95, sli: latency_p95, pass: '< 1s'}\n"
    entry = evaluate(stack, text, record).objectives[0]
    assert entry.value == 0.333 and entry.source == "run record" and "exact" in entry.query


def test_histogram_quantile_when_the_record_has_none(run_data, stack) -> None:
    _, record = http_run(run_data)
    text = "objectives:\n  - {name: p90, sli: latency_p90, pass: '< 1s'}\n"
    entry = evaluate(stack, text, record).objectives[0]
    # rank 90 of 100 lies in the 200-400 ms bucket (80 below it), halfway through
    assert entry.source == "prometheus" and abs(entry.value - 0.3) < 1e-9  # type: ignore[operator]
    assert entry.query.startswith("histogram_quantile(0.9, sum by (le) (last_over_time(")
    assert "0 series from the exact gauge; used the histogram" in entry.reason


def test_an_interrupted_run_is_judged_on_what_it_measured_and_says_so(run_data, stack) -> None:
    run = run_data()
    run.write(run.counter("loadgen_http_requests_total", 100, name="a", method="GET", status="200"))
    record = run.record(requests=100)
    record.exit_status, record.message = "interrupted", "Ctrl-C after 20 s"
    result = evaluate(
        stack, "objectives:\n  - {name: n, sli: request_count, pass: '>= 1'}\n", record
    )
    assert result.status is Status.PASS and result.objectives[0].value == 100.0
    assert result.reason.endswith("note: the run ended interrupted (Ctrl-C after 20 s)")


def test_a_websocket_record_never_answers_for_http_latency(run_data, stack) -> None:
    run, _ = http_run(run_data)
    record = run.record(requests=100, percentiles={"p95": 0.007, "p90": 0.005})
    record.generator = "ws"  # its percentiles are message round trips
    text = (
        "objectives:\n  - {name: http, sli: latency_p90, pass: '< 1s'}\n"
        "  - {name: rtt, sli: ws_rtt_p95, pass: '< 1s'}\n"
    )
    http, rtt = evaluate(stack, text, record).objectives
    assert http.source == "prometheus" and abs(http.value - 0.3) < 1e-9  # type: ignore[operator]
    assert rtt.source == "run record" and rtt.value == 0.007
