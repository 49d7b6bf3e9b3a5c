"""The client keeps 'the query is wrong' apart from 'Prometheus is not answering'."""

from __future__ import annotations

import contextlib
import http.server
import math
import threading
import time

import httpx
import pytest

from gate.prometheus import PrometheusClient, PrometheusUnavailable, QueryRejected
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.testing import free_port


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


class _Answer(http.server.BaseHTTPRequestHandler):
    """A stand-in for a Prometheus that answers 503 or stalls: a real one cannot be made to
    do either on demand."""

    def do_GET(self) -> None:
        if self.server.mode == "slow":  # type: ignore[attr-defined]
            time.sleep(1.0)
        body = b'{"status":"error","errorType":"unavailable","error":"overloaded"}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (the timeout case)
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(params=["503", "slow"])
def misbehaving(request: pytest.FixtureRequest):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    server.daemon_threads = True
    server.mode = request.param  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield request.param, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_server_errors_and_timeouts_are_unavailable(misbehaving) -> None:
    mode, url = misbehaving
    with (
        PrometheusClient(url, timeout=0.3) as client,
        pytest.raises(PrometheusUnavailable) as caught,
    ):
        client.instant("vector(1)", time.time())
    assert ("HTTP 503" if mode == "503" else "timed out") in str(caught.value)


def test_syntax_check_parses_without_evaluating(client: PrometheusClient) -> None:
    client.check_syntax('sum by (name) (rate(never_written_total{testid="x"}[5m]))', time.time())
    with pytest.raises(QueryRejected, match="unclosed left parenthesis"):
        client.check_syntax("sum(rate(x[5m])", time.time())


def test_a_range_vector_is_not_a_value(client: PrometheusClient) -> None:
    with pytest.raises(QueryRejected, match="returned a matrix"):
        client.instant("vector(1)[1m:10s]", time.time())


def test_a_url_without_scheme_is_a_usage_error() -> None:
    from perfstack.core.errors import ExitCode, PerfstackError

    with pytest.raises(PerfstackError, match="expected http") as caught:
        PrometheusClient("localhost:9090")
    assert caught.value.exit_code == ExitCode.USAGE


def answering(body: object) -> PrometheusClient:
    """A client whose server answers HTTP 200 with `body`: what Thanos or Mimir send for a
    partial response, which a single real Prometheus cannot be made to produce."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    transport = httpx.MockTransport(handler)
    return PrometheusClient(
        "http://prometheus.invalid:9090", client=httpx.Client(transport=transport)
    )


ONE_SAMPLE = {"resultType": "vector", "result": [{"metric": {}, "value": [1.0, "0.01"]}]}
PARTIAL = {
    "status": "success",
    "data": ONE_SAMPLE,
    "warnings": ["partial response: store eu-1 unreachable", "second\nline"],
}


def test_a_success_with_warnings_is_not_an_answer() -> None:
    with answering(PARTIAL) as client, pytest.raises(PrometheusUnavailable) as caught:
        client.instant("vector(1)", time.time())
    assert str(caught.value) == (
        "Prometheus at http://prometheus.invalid:9090 answered with warnings, the result may be "
        "partial: partial response: store eu-1 unreachable; second line"
    )
    with answering(PARTIAL) as client, pytest.raises(PrometheusUnavailable, match="eu-1"):
        client.range("vector(1)", time.time() - 10, time.time(), 1)


def test_an_empty_warnings_list_is_a_clean_answer() -> None:
    with answering({"status": "success", "data": ONE_SAMPLE, "warnings": []}) as client:
        assert [s.value for s in client.instant("vector(1)", time.time())] == [0.01]


def test_json_that_is_not_the_api_object_is_unavailable() -> None:
    with (
        answering(["not", "an", "object"]) as client,
        pytest.raises(PrometheusUnavailable, match="without API JSON"),
    ):
        client.instant("vector(1)", time.time())


def test_a_partial_answer_makes_the_objective_an_error_exit_4() -> None:
    from gate.evaluate import Gate
    from gate.rules import parse_rules
    from gate.verdicts import Status
    from gate.window import RunWindow
    from perfstack.core.errors import ExitCode

    rules = parse_rules("objectives:\n  - {name: errors, query: 'x', pass: '< 5%'}\n", "w.yaml")
    window = RunWindow("partial-1", "adhoc", time.time() - 100, time.time() - 50)
    with answering(PARTIAL) as client:
        result = Gate(client, rules).evaluate(window)
    entry = result.objectives[0]
    assert entry.status is Status.ERROR and entry.error_kind == "unavailable"
    assert "store eu-1 unreachable" in entry.reason and entry.value is None
    assert result.exit_code() == ExitCode.PROMETHEUS_UNAVAILABLE


def test_prometheus_and_victoria_metrics_are_query_apis(stack, victoria) -> None:
    for url in (stack.prometheus_url, victoria.url):
        with PrometheusClient(url) as client:
            client.require_query_api("--prometheus")  # no error


@pytest.fixture(params=["html", "404", "refused"])
def no_query_api(request, not_a_store):
    """(what answers, its URL): a web page, a 404 in HTML (Python's http.server), nothing."""
    if request.param == "html":
        yield request.param, not_a_store
        return
    if request.param == "refused":
        yield request.param, f"http://127.0.0.1:{free_port()}"
        return
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield request.param, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_url_that_is_no_query_api_is_one_line_naming_where_it_came_from(no_query_api) -> None:
    kind, url = no_query_api
    with PrometheusClient(url, timeout=2) as client, pytest.raises(PerfstackError) as caught:
        client.require_query_api("PERFSTACK_PROMETHEUS_URL")
    error = caught.value
    assert error.exit_code == ExitCode.PROMETHEUS_UNAVAILABLE
    assert "\n" not in error.message
    assert error.message.startswith(f"PERFSTACK_PROMETHEUS_URL {url}: ")
    assert f"a Prometheus-compatible query API at {url}/api/v1/query" in error.message
    said = {"html": "got HTTP 200 (text/html)", "404": "got HTTP 404", "refused": "nothing answers"}
    assert said[kind] in error.message
    with PrometheusClient(url, timeout=2) as client:
        if kind == "refused":
            client.require_query_api("--prometheus", refused_ok=True)  # the pusher's to wait for
        else:
            with pytest.raises(PerfstackError):
                client.require_query_api("--prometheus", refused_ok=True)


def test_syntax_check_against_victoria_metrics_falls_back_to_a_query(victoria) -> None:
    # VictoriaMetrics has no /api/v1/format_query: it answers 400 in plain text there
    with PrometheusClient(victoria.url) as client:
        client.check_syntax(
            'sum by (name) (rate(never_written_total{testid="x"}[5m]))', time.time()
        )
        with pytest.raises(QueryRejected):
            client.check_syntax("sum(rate(x[5m])", time.time())
