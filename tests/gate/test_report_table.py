from __future__ import annotations

import io

from gate.report_table import print_table


def test_table_shows_value_threshold_query_and_time_without_colour_off_a_tty(mixed_result) -> None:
    out = io.StringIO()
    print_table(mixed_result, file=out, width=250)
    text = out.getvalue()
    assert "\x1b[" not in text  # not a terminal: no colour codes
    for expected in (
        "requests",
        "PASS",
        "WARN",
        "FAIL",
        "NO_DATA",
        "ERROR",
        "10.00%",
        "pass < 1%",
        "loadgen_http_request_failures_total",
        f"{mixed_result.evaluated_at:.3f}",
        "-50.0%",
        "major",
        "verdict: ERROR",
    ):
        assert expected in text, expected


BRACKETED_RULES = """
name: "[bold]rules[/bold]"
objectives:
  - {name: "count [checkout] :x:", sli: request_count, request: "GET /api/items/[id]",
     pass: ">= 1"}
  - {name: "rps [red]", sli: throughput, request: "PUT /api/items/[id]", pass: ">= 1rps"}
"""


def test_brackets_and_colons_in_names_requests_and_reasons_print_as_written(
    stack, run_data
) -> None:
    from gate.evaluate import Gate
    from gate.prometheus import PrometheusClient
    from gate.rules import parse_rules
    from gate.window import from_record

    run = run_data(scenario="checkout")
    labels = {"name": "/api/items/[id]", "method": "GET", "status": "200"}
    run.write(run.counter("loadgen_http_requests_total", 40, **labels))
    record = run.record(requests=40)
    with PrometheusClient(stack.prometheus_url) as client:
        result = Gate(client, parse_rules(BRACKETED_RULES, "r.yaml")).evaluate(from_record(record))
    out = io.StringIO()
    print_table(result, file=out, width=600)
    text = out.getvalue()
    for expected in (
        "perfstack gate · [bold]rules[/bold] · run",
        "count [checkout] :x:",
        "rps [red]",
        'name="/api/items/[id]",method="GET"',
        'name="/api/items/[id]",method="PUT"',
        "- rps [red]:",  # its recommendation: no PUT was made, NO_DATA
        "verdict: NO_DATA",
    ):
        assert expected in text, expected
    assert "❌" not in text
