"""Objective policies against real data: on_no_data, on_no_baseline, scenarios, worst series,
the run record's exact percentiles and the histogram fallback."""

from __future__ import annotations

from gate.baselines import BaselineValue
from gate.evaluate import Gate
from gate.prometheus import PrometheusClient
from gate.rules import parse_rules
from gate.verdicts import Status
from gate.window import from_record
from perfstack.core.errors import ExitCode
from tests.gate.conftest import IDLE_WS_SUMMARY, write_rules

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
    _, record = http_run(run_data, extra={"ws": IDLE_WS_SUMMARY})  # ran, produced nothing
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
    assert [s.name for s in result.skipped] == ["peak only"] and result.status is Status.PASS
    assert result.skipped[0].reason == "not for scenario gatetest (only for peak)"


def test_open_model_objectives_are_judged_only_for_arrival_runs(run_data, stack) -> None:
    text = """
objectives:
  - {name: drops, sli: dropped_iterations_ratio, pass: "<= 0", warn: "<= 1%", min_samples: 1}
  - {name: p95, sli: latency_p95, corrected: true, pass: "< 1s", min_samples: 1}
"""
    run, record = http_run(run_data)
    result = evaluate(stack, text, record)
    # a closed-model run: no arrival stages, so no dropped iterations to judge; and no
    # intended starts, so the corrected latency is NO_DATA, never a pass
    assert [s.name for s in result.skipped] == ["drops"]
    assert "no arrival-rate (open model) load" in result.skipped[0].reason
    assert [(r.objective.name, r.status) for r in result.objectives] == [("p95", Status.NO_DATA)]
    run.write(
        run.counter("loadgen_scheduled_iterations_total", 1000),
        run.counter("loadgen_dropped_iterations_total", 5),
    )
    arrival = run.record(
        requests=995, corrected_percentiles={"p95": 0.5}, extra={"arrival": {"dropped": 5}}
    )
    results = {r.objective.name: r for r in evaluate(stack, text, arrival).objectives}
    assert results["drops"].status is Status.WARN and results["drops"].value == 0.005
    assert results["p95"].status is Status.PASS and results["p95"].value == 0.5
    assert results["p95"].source == "run record"


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


SHARE = 'max by (i) (last_over_time(perf_share{testid="$testid"}[$range]))'


def shares(run_data, *values: float):
    """One gauge series per value (label i=0, 1, ...) for a finished run."""
    run = run_data()
    run.write(*(run.gauge("perf_share", value, i=str(i)) for i, value in enumerate(values)))
    return run, run.record()


def test_worst_series_breaks_a_range_at_its_low_end(run_data, stack) -> None:
    _, record = shares(run_data, 0.5, 0.1, 0.7)
    text = (
        f"objectives:\n  - {{name: share, query: '{SHARE}', pass: '0.2..0.8', "
        "on_multi_series: worst}\n"
    )
    entry = evaluate(stack, text, record).objectives[0]
    assert entry.status is Status.FAIL and entry.value == 0.1
    assert entry.reason.startswith('3 series, judged the worst {i="1"}=0.1: {i="0"}=0.5; ')


def test_worst_series_follows_the_relative_direction(run_data, stack) -> None:
    _, record = shares(run_data, 100.0, 50.0)
    text = (
        f"objectives:\n  - {{name: count, query: '{SHARE}', relative: '>= -10%', "
        "on_multi_series: worst}\n"
    )
    # ">= -10%": lower is worse; 50 is half the baseline of 100
    entry = evaluate(stack, text, record, FixedBaseline({"count": 100.0})).objectives[0]
    assert entry.status is Status.FAIL and entry.value == 50.0
    assert entry.baseline is not None and entry.baseline.change == -0.5
    # with a pass condition pointing the other way, every series still meets the baseline
    text = text.replace("relative:", "pass: '< 1000', relative:")
    entry = evaluate(stack, text, record, FixedBaseline({"count": 100.0})).objectives[0]
    assert entry.status is Status.FAIL and entry.value == 50.0


def test_several_series_as_an_error_exit_2_and_no_baseline(
    run_data, stack, gate_cli, tmp_path
) -> None:
    run, record = shares(run_data, 0.5, 0.6)
    text = (
        f"objectives:\n  - {{name: share, query: '{SHARE}', pass: '< 1', on_multi_series: error}}\n"
    )
    result = evaluate(stack, text, record)
    entry = result.objectives[0]
    assert entry.status is Status.ERROR and entry.error_kind == "query"
    assert "2 series where one was expected" in entry.reason
    assert result.exit_code() == ExitCode.USAGE
    rules = write_rules(tmp_path, text)
    assert gate_cli("gate", "check", rules, "--testid", run.testid, "--no-push") == 2
    saved = tmp_path / "baselines"
    code = gate_cli(
        "baseline", "save", "--rules", rules, "--testid", run.testid, "--baseline-dir", saved
    )
    assert code == 2 and not saved.exists()


def test_series_of_another_run_are_an_error(run_data, stack, gate_cli, testid, tmp_path) -> None:
    own = run_data(testid=f"{testid}.a")  # '.' matches any character in =~
    other = run_data(testid=f"{testid}Xa")
    for run, total in ((own, 100), (other, 900)):
        run.write(run.counter("loadgen_http_requests_total", total, name="a", status="200"))
    record = own.record()
    matched = 'last_over_time(loadgen_http_requests_total{testid=~"$testid"}[$range])'
    text = f"""
objectives:
  - {{name: wide, query: '{matched}', pass: '>= 1', on_multi_series: worst}}
  - name: wide samples
    query: 'sum(last_over_time(loadgen_http_requests_total{{testid="$testid"}}[$range]))'
    samples_query: '{matched}'
    min_samples: 1
    pass: '>= 1'
  - {{name: exact, query: '{matched.replace("=~", "=")}', pass: '>= 1'}}
"""
    result = evaluate(stack, text, record)
    wide, samples, exact = result.objectives
    for entry in (wide, samples):
        assert entry.status is Status.ERROR and entry.error_kind == "query"
        assert f"series of other runs (testid '{testid}Xa')" in entry.reason
    assert exact.status is Status.PASS and exact.value == 100.0
    rules = write_rules(tmp_path, text)
    assert gate_cli("gate", "check", rules, "--testid", own.testid, "--no-push") == 2


def test_a_negative_baseline_is_treated_as_missing(run_data, stack) -> None:
    run = run_data()
    record = run.record()
    text = """
objectives:
  - {name: default, query: 'vector(-5)', relative: '<= +10%'}
  - {name: warned, query: 'vector(-5)', relative: '<= +10%', on_no_baseline: warn}
  - {name: ignored, query: 'vector(-5)', pass: '< 0', relative: '<= +10%', on_no_baseline: ignore}
"""
    # -10 -> -5 is a rise; current / baseline - 1 would call it -50% and pass
    baseline = FixedBaseline({"default": -10.0, "warned": -10.0, "ignored": -10.0})
    default, warned, ignored = evaluate(stack, text, record, baseline).objectives
    assert [default.status, warned.status, ignored.status] == [
        Status.FAIL,
        Status.WARN,
        Status.PASS,
    ]
    assert default.baseline is not None and default.baseline.change is None
    assert default.baseline.reason.startswith("the baseline is below zero (-10)")
    assert ignored.baseline is None


def test_a_run_quit_early_is_judged_like_an_interrupted_one(run_data, stack) -> None:
    run = run_data()
    run.write(run.counter("loadgen_http_requests_total", 100, name="a", method="GET", status="200"))
    rules = "objectives:\n  - {name: n, sli: request_count, pass: '>= 1'}\n"
    early = run.record(requests=100)
    early.exit_status, early.message = "quit_early", "Locust quit after 1.2s of the planned 6s"
    result = evaluate(stack, rules, early)
    assert result.status is Status.PASS and result.objectives[0].value == 100.0
    assert result.reason.endswith(
        "note: the run ended quit_early (Locust quit after 1.2s of the planned 6s)"
    )
    # a run that went to its end has nothing to note
    record = run.record(requests=100)
    record.exit_status = "completed"
    completed = evaluate(stack, rules, record)
    assert completed.status is Status.PASS and "note:" not in completed.reason


def test_throughput_of_web_ui_swarms_divides_by_the_time_load_ran(run_data, stack) -> None:
    # 20 s from the first swarm's start to the last one's end, load in 4 s + 6 s of it
    run = run_data(duration=20.0)
    run.write(run.counter("loadgen_http_requests_total", 100, name="a", method="GET", status="200"))
    swarms = [
        {"start": run.start, "end": run.start + 4.0, "duration": 4.0},
        {"start": run.end - 6.0, "end": run.end, "duration": 6.0},
    ]
    record = run.record(requests=100, swarms=swarms)
    rules = "objectives:\n  - {name: rps, sli: throughput, pass: '>= 1rps'}\n"
    entry = evaluate(stack, rules, record).objectives[0]
    assert entry.status is Status.PASS and entry.value == 10.0  # 100 requests / 10 s of load
    # every sample of the span is still selected: the range reaches back to the first start
    assert from_record(record).placeholders({})["range"] == "25s"
