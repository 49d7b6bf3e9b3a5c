"""`request: "METHOD name"` narrows a shorthand to one method of one request name, in the
Prometheus queries and in the run record's exact per-name figures; a bare name still means
every method. Against a real Prometheus, with exact fixture data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.shorthands import selector
from perfstack.core.record import NameStats, record_path
from tests.gate.conftest import write_rules

ITEMS = "/api/items"
HISTOGRAM = "loadgen_http_request_duration_seconds"


def write_items_run(run) -> None:
    """300 GET (mean 100 ms) and 100 POST (mean 500 ms, 5 failed) of one name; the POST
    histogram has every request between 0.5 s and 1 s."""
    get, post = {"name": ITEMS, "method": "GET"}, {"name": ITEMS, "method": "POST"}
    run.write(
        run.counter("loadgen_http_requests_total", 300, status="200", **get),
        run.counter("loadgen_http_requests_total", 95, status="201", **post),
        run.counter("loadgen_http_requests_total", 5, status="503", **post),
        run.counter("loadgen_http_request_failures_total", 5, error_type="http_5xx", **post),
        run.counter(f"{HISTOGRAM}_sum", 30.0, status="200", **get),
        run.counter(f"{HISTOGRAM}_count", 300, status="200", **get),
        run.counter(f"{HISTOGRAM}_sum", 50.0, status="201", **post),
        run.counter(f"{HISTOGRAM}_count", 100, status="201", **post),
        run.counter(f"{HISTOGRAM}_bucket", 0, le="0.5", status="201", **post),
        run.counter(f"{HISTOGRAM}_bucket", 100, le="1.0", status="201", **post),
        run.counter(f"{HISTOGRAM}_bucket", 100, le="+Inf", status="201", **post),
    )


def check(gate_cli, run, tmp_path: Path, objectives: str) -> dict[str, dict]:
    rules = write_rules(tmp_path, "objectives:\n" + objectives)
    out = tmp_path / "gate.json"
    gate_cli("gate", "check", "--rules", rules, "--testid", run.testid, "--json", out, "--no-push")
    return {entry["name"]: entry for entry in json.loads(out.read_text())["objectives"]}


def test_method_and_name_select_both_labels_and_a_bare_name_every_method(
    run_data, gate_cli, tmp_path: Path
) -> None:
    run = run_data(duration=20.0)
    write_items_run(run)
    run.record(requests=400)
    got = check(
        gate_cli,
        run,
        tmp_path,
        f"""
  - {{name: post count, sli: request_count, request: "POST {ITEMS}", pass: ">= 0"}}
  - {{name: all count, sli: request_count, request: "{ITEMS}", pass: ">= 0"}}
  - {{name: post errors, sli: error_ratio, request: "POST {ITEMS}", pass: ">= 0"}}
  - {{name: get errors, sli: error_ratio, request: "GET {ITEMS}", pass: ">= 0"}}
  - {{name: get mean, sli: latency_mean, request: "GET {ITEMS}", pass: ">= 0"}}
  - {{name: post mean, sli: latency_mean, request: "POST {ITEMS}", pass: ">= 0"}}
  - {{name: post rps, sli: throughput, request: "POST {ITEMS}", pass: ">= 0"}}
  - {{name: put count, sli: request_count, request: "PUT {ITEMS}", pass: ">= 0"}}
""",
    )
    values = {name: (entry["status"], entry["value"]) for name, entry in got.items()}
    assert values == {
        "post count": ("PASS", 100.0),
        "all count": ("PASS", 400.0),
        "post errors": ("PASS", 0.05),
        "get errors": ("PASS", 0.0),
        "get mean": ("PASS", pytest.approx(0.1)),
        "post mean": ("PASS", pytest.approx(0.5)),
        "post rps": ("PASS", pytest.approx(5.0)),
        "put count": ("NO_DATA", None),  # no PUT was made: never read as 0
    }
    assert 'method="POST"' in got["post count"]["query"]
    assert 'name="/api/items"' in got["post count"]["query"]
    assert "method=" not in got["all count"]["query"]


def test_the_record_s_exact_percentiles_are_read_per_method(
    run_data, gate_cli, tmp_path: Path
) -> None:
    from perfstack.core.record import MethodStats

    run = run_data()
    write_items_run(run)
    per_method = {
        "GET": MethodStats(300, 0, {"p95": 0.2}),
        "POST": MethodStats(100, 5, {"p95": 0.9}),
    }
    run.record(requests=400, names={ITEMS: NameStats(400, 5, {"p95": 0.4}, per_method)})
    got = check(
        gate_cli,
        run,
        tmp_path,
        f"""
  - {{name: post p95, sli: latency_p95, request: "POST {ITEMS}", pass: "< 1s"}}
  - {{name: get p95, sli: latency_p95, request: "GET {ITEMS}", pass: "< 1s"}}
  - {{name: all p95, sli: latency_p95, request: "{ITEMS}", pass: "< 1s"}}
""",
    )
    read = {name: (e["value"], e["samples"], e["source"]) for name, e in got.items()}
    assert read == {
        "post p95": (0.9, 100, "run record"),
        "get p95": (0.2, 300, "run record"),
        "all p95": (0.4, 400, "run record"),
    }
    assert got["post p95"]["query"].endswith(
        "names['/api/items'].methods['POST'].percentiles.p95 (exact)"
    )


def test_an_older_record_without_methods_is_read_and_prometheus_answers_per_method(
    run_data, gate_cli, tmp_path: Path
) -> None:
    run = run_data()
    write_items_run(run)
    run.record(requests=400)
    path = record_path(run.state_dir, run.testid)
    older = json.loads(path.read_text())
    older["names"] = {ITEMS: {"requests": 400, "failures": 5, "percentiles": {"p95": 0.4}}}
    path.write_text(json.dumps(older))
    got = check(
        gate_cli,
        run,
        tmp_path,
        f"""
  - {{name: post p95, sli: latency_p95, request: "POST {ITEMS}", pass: "< 1s"}}
  - {{name: all p95, sli: latency_p95, request: "{ITEMS}", pass: "< 1s"}}
""",
    )
    post, every = got["post p95"], got["all p95"]
    # 100 POST requests between 0.5 s and 1 s: histogram_quantile puts the 95th at 0.975 s
    assert (post["source"], post["value"], post["samples"]) == ("prometheus", 0.975, 100)
    assert (every["source"], every["value"]) == ("run record", 0.4)


@pytest.mark.parametrize(
    ("text", "method", "name"),
    [
        ("POST /api/items", "POST", "/api/items"),
        ("GET  /", "GET", "/"),
        ("DELETE /api/items/[id]", "DELETE", "/api/items/[id]"),
        ("/api/items", None, "/api/items"),
        ("Get user profile", None, "Get user profile"),  # a descriptive name
        ("list items", None, "list items"),
        ("GET", None, "GET"),  # a method alone is a name
    ],
)
def test_request_text_is_method_and_name_only_with_an_http_method_first(
    text: str, method: str | None, name: str
) -> None:
    from gate.request_names import parse_request

    ref = parse_request(text)
    assert (ref.method, ref.name) == (method, name)


def test_every_selector_the_gate_builds_carries_the_method() -> None:
    # check, lint, the live gate and the confidence intervals all build it here
    assert selector('POST /a"b') == 'testid="$testid",name="/a\\"b",method="POST"'
    assert selector("/api/items") == 'testid="$testid",name="/api/items"'
