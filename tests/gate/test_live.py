"""The live gate aborts only when an objective fails for its whole sustained window."""

from __future__ import annotations

import httpx

from gate.live import LiveGate
from gate.prometheus import PrometheusClient
from gate.rules import parse_rules
from perfstack.testing import free_port

RULES = """
objectives:
  - name: error ratio
    sli: error_ratio
    pass: "<= 10%"
    abort_on_fail: true
    sustained: {sustained}
    live_window: 5s
  - {{name: p95, sli: latency_p95, pass: "< 1s"}}
"""


def burst_of_errors(run) -> float:
    """10 requests/s for 60 s; 3 failures/s between t0+20 and t0+26 only."""
    t0 = run.start
    requests = [(t0 + s, 10.0 * s) for s in range(61)]
    failures = [(t0 + s, 3.0 * min(max(s - 20, 0), 6)) for s in range(61)]
    run.write(
        (run.labels("loadgen_http_requests_total", name="a", method="GET", status="200"), requests),
        (
            run.labels(
                "loadgen_http_request_failures_total", name="a", method="GET", error_type="http_5xx"
            ),
            failures,
        ),
    )
    return t0


def poll(live: LiveGate, clock: list[float], start: float, stop: float) -> tuple[float | None, str]:
    now = start
    while now <= stop:
        clock[0] = now
        abort, reason = live.should_abort()
        if abort:
            return now, reason
        now += 1.0
    return None, ""


def make(stack, run, sustained: str) -> tuple[LiveGate, list[float]]:
    clock = [0.0]
    rules = parse_rules(RULES.format(sustained=sustained), "live.yaml")
    client = PrometheusClient(stack.prometheus_url)
    return LiveGate(rules, client, run.testid, run.scenario, clock=lambda: clock[0]), clock


def test_a_burst_shorter_than_sustained_does_not_abort(stack, run_data) -> None:
    run = run_data(duration=60.0, scenario="live")
    t0 = burst_of_errors(run)
    live, clock = make(stack, run, "30s")
    assert [o.name for o in live.objectives] == ["error ratio"]  # only abort_on_fail objectives
    assert poll(live, clock, t0 + 5, t0 + 60) == (None, "")
    assert live.last_error is None


def test_a_sustained_failure_aborts_with_a_reason(stack, run_data) -> None:
    run = run_data(duration=60.0, scenario="live")
    t0 = burst_of_errors(run)
    live, clock = make(stack, run, "4s")
    when, reason = poll(live, clock, t0 + 5, t0 + 60)
    assert when is not None
    # the 5 s window first sees > 10% errors just after t0+20; abort 4 s of failing later
    assert t0 + 24 <= when <= t0 + 27, when - t0
    assert (
        reason.startswith("live gate: error ratio = ")
        and "'<= 10%'" in reason
        and "sustained 4s" in reason
    )


def test_no_traffic_and_prometheus_outages_never_abort(stack, run_data) -> None:
    run = run_data(duration=60.0, scenario="live")  # nothing written for this testid
    live, clock = make(stack, run, "0s")
    assert poll(live, clock, run.start, run.start + 5) == (None, "")
    rules = parse_rules(RULES.format(sustained="0s"), "live.yaml")
    down = LiveGate(
        rules, PrometheusClient(f"http://127.0.0.1:{free_port()}", timeout=1), run.testid
    )
    assert down.should_abort() == (False, "")
    assert down.last_error is not None and "unreachable" in down.last_error


def test_polling_is_throttled_and_an_abort_sticks(stack, run_data) -> None:
    run = run_data(duration=60.0, scenario="live")
    t0 = burst_of_errors(run)
    live, clock = make(stack, run, "0s")
    for offset in (5.0, 5.3, 5.6, 5.9, 6.0):  # no errors yet: one query per second at most
        clock[0] = t0 + offset
        assert live.should_abort() == (False, "")
    assert live.polls == 2
    clock[0] = t0 + 23
    abort, reason = live.should_abort()
    assert abort
    clock[0] = t0 + 50  # the errors are long over, but the run was already told to stop
    assert live.should_abort() == (True, reason) and live.polls == 3


def answering(series: list[tuple[dict[str, str], float | str]]) -> PrometheusClient:
    """A Prometheus that answers every query with these series, exactly (a string value
    as it is: Prometheus spells the non-finite ones "+Inf", "-Inf" and "NaN")."""
    result = [{"metric": labels, "value": [0, str(value)]} for labels, value in series]
    body = {"status": "success", "data": {"resultType": "vector", "result": result}}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    return PrometheusClient(
        "http://prometheus.invalid:9090", client=httpx.Client(transport=transport)
    )


def live_gate(condition: str, series: list[tuple[dict[str, str], float | str]]) -> LiveGate:
    rules = parse_rules(
        "objectives:\n  - name: share\n    query: 'x{testid=\"$testid\"}'\n"
        f"    pass: '{condition}'\n    abort_on_fail: true\n    sustained: 0s\n",
        "live.yaml",
    )
    return LiveGate(rules, answering(series), "live-1", clock=lambda: 1000.0)


def test_a_range_breaks_at_its_low_end_too() -> None:
    live = live_gate("0.2..0.8", [({"testid": "live-1", "i": "a"}, 0.5), ({"i": "b"}, 0.1)])
    abort, reason = live.should_abort()
    assert abort and reason.startswith("live gate: share = 0.1 breaks '0.2..0.8'")


def test_series_of_another_run_do_not_abort_this_one() -> None:
    live = live_gate("< 1", [({"testid": "live-1"}, 0.5), ({"testid": "live-10"}, 5.0)])
    assert live.should_abort() == (False, "")
    assert live.last_error is not None and "ignored 1 series of other runs" in live.last_error


def test_an_infinite_value_breaks_the_objective_as_the_final_gate_judges_it() -> None:
    live = live_gate("< 0.05", [({"testid": "live-1"}, "+Inf")])
    abort, reason = live.should_abort()
    assert abort and reason.startswith("live gate: share = +Inf breaks '< 0.05'")
    low = live_gate("> 100", [({"testid": "live-1"}, "-Inf")])
    assert low.should_abort()[0]


def test_nan_is_no_traffic_and_never_aborts() -> None:
    live = live_gate("< 0.05", [({"testid": "live-1"}, "NaN")])
    assert live.should_abort() == (False, "")
