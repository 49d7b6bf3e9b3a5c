"""The gate Job's entry point waits for the run's end in a real Prometheus and fails closed:
no end is NO_DATA (exit 3), a store that is not a Prometheus API or cannot be reached is
exit 4, each one line. (It judging a real run: test_workloads.py, the containers' run.)"""

from __future__ import annotations

import time

import httpx
import pytest

from gate.prometheus import PrometheusClient
from perfstack.kubernetes.gate_after_run import main, run_span, wait_for_run
from perfstack.push.remote_write import (
    CONTENT_HEADERS,
    compress,
    encode_write_request,
    sorted_labels,
)
from perfstack.testing import free_port


def push(remote_write_url: str, testid: str, values: dict[str, float], at: float) -> None:
    """The master's run series, as its plugin pushes them."""
    series = [
        (
            sorted_labels({"__name__": name, "testid": testid, "scenario": "nightly"}),
            [(value, int(at * 1000))],
        )
        for name, value in values.items()
    ]
    body = compress(encode_write_request(series))
    response = httpx.post(remote_write_url, content=body, headers=CONTENT_HEADERS, timeout=10)
    assert response.status_code == 204, response.text


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("perfstack: error: ") and "\n" not in err, err
    return err


def test_an_end_of_zero_is_a_run_still_going_and_a_later_end_is_found(stack, tmp_path) -> None:
    testid = f"k8s-wait-{tmp_path.name}"[:60]
    now = time.time()
    running = {
        "loadgen_run_info": 1.0,
        "loadgen_run_start_timestamp_seconds": now - 10,
        "loadgen_run_end_timestamp_seconds": 0.0,  # the gauge before the run ends
    }
    push(stack.remote_write_url, testid, running, now - 2)
    with PrometheusClient(stack.prometheus_url) as client:
        assert run_span(client, testid, time.time()) is None
        push(stack.remote_write_url, testid, {"loadgen_run_end_timestamp_seconds": now - 1}, now)
        slept: list[float] = []
        span = wait_for_run(
            client, testid, timeout=5, settle=3, clock=lambda: now, sleep=slept.append
        )
    assert (span.start, span.end, span.scenario) == (
        pytest.approx(now - 10),
        pytest.approx(now - 1),
        "nightly",
    )
    # found at once, then it waits until the gate's settle time past the end before judging
    assert slept == [pytest.approx(2)]


def test_no_end_within_the_timeout_is_no_data(stack, tmp_path, capsys) -> None:
    testid = f"k8s-never-{tmp_path.name}"[:60]
    code = main(
        ["--testid", testid, "--prometheus", stack.prometheus_url, "--wait-timeout", "1s",
         "--poll", "0.2s", "--", "--rules", "unused.yaml"]
    )  # fmt: skip
    assert code == 3
    assert f"run {testid} has no end in the store" in one_line_error(capsys)


def test_a_store_that_is_not_a_prometheus_api_fails_at_once(demo_target, capsys) -> None:
    started = time.monotonic()
    code = main(["--testid", "t1", "--prometheus", demo_target.url, "--wait-timeout", "1h"])
    assert code == 4
    assert time.monotonic() - started < 60  # not the hour it would have waited
    error = one_line_error(capsys)
    assert "answered HTTP 404" in error and "PERFSTACK_PROMETHEUS_URL" in error


def test_a_store_unreachable_for_the_whole_wait_is_exit_4(capsys) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code = main(["--testid", "t1", "--prometheus", url, "--wait-timeout", "1s", "--poll", "0.2s"])
    assert code == 4
    error = one_line_error(capsys)
    assert "is unreachable" in error and "whole 1s waited for run t1" in error


@pytest.mark.parametrize("flag", ["--testid=other", "--start", "--prometheus=http://x:1"])
def test_gate_flags_it_sets_itself_are_refused(flag, capsys) -> None:
    code = main(["--testid", "t1", "--prometheus", "http://127.0.0.1:1", "--", flag])
    assert code == 2
    assert "set by this command from the store" in one_line_error(capsys)
