from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest

from gate.report_table import print_table
from perfstack.cli import main

DEFAULT_PRESET = Path(__file__).resolve().parents[2] / "gate" / "presets" / "default.yaml"
SEPARATOR = re.compile(r"^[─┼\s]+$")


def table_rows(text: str) -> tuple[list[str], list[list[str]]]:
    """The table's header line and its rows (each a list of the lines it takes), read from
    printed output: rows are split by the rule lines, the table ends at `verdict:`."""
    lines = text.splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("verdict:"))
    start = next(i for i, line in enumerate(lines) if "objective" in line and "verdict" in line)
    rows: list[list[str]] = [[]]
    for line in lines[start + 2 : end]:  # after the header and its rule
        if SEPARATOR.match(line):
            rows.append([])
        else:
            rows[-1].append(line)
    return lines[start], rows


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("│")]


def row_cells(row: list[str]) -> list[str]:
    """A row's cells, each the text of its lines joined by a space."""
    columns = zip(*(cells(line) for line in row), strict=True)
    return [" ".join(part for part in column if part) for column in columns]


def test_every_verdict_at_100_columns_takes_two_lines_a_row_with_its_reason_below(
    mixed_result,
) -> None:
    out = io.StringIO()
    print_table(mixed_result, file=out, width=100)
    text = out.getvalue()
    assert "\x1b[" not in text  # not a terminal: no colour codes
    assert max(len(line) for line in text.splitlines()) <= 100
    header, rows = table_rows(text)
    assert cells(header) == [
        "objective", "verdict", "value", "threshold", "baseline", "change", "source",
    ]  # fmt: skip
    assert len(rows) == len(mixed_result.objectives)
    assert all(1 <= len(row) <= 2 for row in rows), rows
    first = {cells(row[0])[0]: cells(row[0]) for row in rows}
    assert first["requests"][1:4] == ["PASS", "500", "pass >= 1"]
    assert first["throughput"][1:3] == ["WARN", "25.0/s"]
    assert first["errors (key)"][1:4] == ["FAIL", "10.00%", "pass < 1%"]
    assert first["ws rtt"][1:3] == ["NO_DATA", "-"]
    assert first["broken | pipe"][1:3] == ["ERROR", "-"]
    assert first["vs baseline"][1:7] == [
        "FAIL", "500", "vs baseline >= -10%", "1000", "-50.0% major", "prometheus",
    ]  # fmt: skip
    # the resolved queries are for --verbose; why each objective missed is under the table
    assert 'testid="' not in text
    assert f"{mixed_result.evaluated_at:.3f}" not in text
    assert "verdict: ERROR" in text
    for why in (
        "WARN throughput: 25.0/s against pass >= 1000rps; warn >= 1rps",
        "FAIL errors: 10.00% against pass < 1%",
        "NO_DATA ws rtt: 0 series from the exact gauge; used the histogram; no data: the "
        "query returned no series",
        "ERROR broken | pipe: Prometheus rejected the query: bad_data",
        "FAIL vs baseline: baseline: change -50.0% against the baseline",
        "- errors: Errors over target",
    ):
        assert why in " ".join(text.split()), why


def test_verbose_adds_each_resolved_query_and_the_evaluation_time(mixed_result) -> None:
    out = io.StringIO()
    print_table(mixed_result, file=out, width=100, verbose=True)
    text = out.getvalue()
    _, rows = table_rows(text)
    assert all(len(row) <= 2 for row in rows)
    errors = next(e for e in mixed_result.objectives if e.objective.name == "errors")
    assert f"    query      {errors.query}\n" in text  # whole, on one line: it can be copied
    assert "loadgen_http_request_failures_total" in errors.query
    assert f"    evaluated  {mixed_result.evaluated_at:.3f} (" in text
    assert "    samples    500 (min 1)" in text
    assert "    query      sum(\n" in text  # the rejected one too


LONG_RULES = """
name: long
objectives:
  - name: "p95 latency of the checkout flow including payment and confirmation [id] :x:"
    sli: latency_p95
    pass: "< 500ms"
    warn: "< 1s"
    relative: "<= +10%"
    key: true
  - {name: errors, sli: error_ratio, pass: "< 1%", warn: "< 2%", relative: "<= +5%"}
"""


def test_long_names_and_thresholds_still_take_two_lines_at_100_columns(
    stack, run_data, tmp_path: Path
) -> None:
    """A name or threshold too long for two lines is cut with an ellipsis on the second
    line, never a third; the reason lines under the table print it whole."""
    from gate.baselines import FileBaseline
    from gate.evaluate import Gate
    from gate.prometheus import PrometheusClient
    from gate.rules import parse_rules
    from gate.window import from_record

    run = run_data()
    run.write(
        run.counter("loadgen_http_requests_total", 400, name="a", method="GET", status="200"),
        run.counter(
            "loadgen_http_request_failures_total", 8, name="a", method="GET", error_type="http_5xx"
        ),
    )
    record = run.record(requests=400, failures=8, percentiles={"p95": 0.25})
    baseline = tmp_path / "main.json"
    baseline.write_text(
        json.dumps(
            {
                "format": "perfstack-baseline/1",
                "testid": "base-1",
                "objectives": {
                    "errors": {"value": 0.01},
                    LONG_RULES.split('"')[1]: {"value": 0.2},
                },
            }
        )
    )
    with PrometheusClient(stack.prometheus_url) as client:
        result = Gate(
            client, parse_rules(LONG_RULES, "long.yaml"), FileBaseline(baseline)
        ).evaluate(from_record(record))
    out = io.StringIO()
    print_table(result, file=out, width=100)
    text = out.getvalue()
    assert all(len(line) <= 100 for line in text.splitlines()[:8])
    _, rows = table_rows(text)
    assert [len(row) for row in rows] == [2, 2]
    latency, errors = (row_cells(row) for row in rows)
    # the threshold whole, its relative criterion on the second line; the name is cut
    assert latency[0].startswith("p95 latency of") and latency[0].endswith("…")
    assert latency[1:] == [
        "FAIL", "250.0ms", "pass < 500ms; warn < 1s vs baseline <= +10%", "200.0ms",
        "+25.0% minor", "record p95 exact",
    ]  # fmt: skip
    assert errors == [
        "errors", "FAIL", "2.00%", "pass < 1%; warn < 2% vs baseline <= +5%", "1.00%",
        "+100.0% critical", "prometheus",
    ]  # fmt: skip
    assert (
        "FAIL p95 latency of the checkout flow including payment and confirmation [id] :x:: "
        "baseline: change +25.0% against the baseline" in " ".join(text.split())
    )


def test_the_default_preset_on_a_demo_like_run_fits_100_columns(
    run_data, gate_cli, monkeypatch, capsys
) -> None:
    """`perfstack gate check` with the demo preset on fixture data of all three generators
    (HTTP with exact percentiles in the record, WebSocket, exporter), errors over the
    limit: at COLUMNS=100 each objective is one row of at most two lines, the FAIL's
    reason under the table; --verbose adds the queries and evaluation time."""
    run = run_data()
    http = {"name": "/api/flaky", "method": "GET"}
    run.write(
        run.counter("loadgen_http_requests_total", 500, status="200", **http),
        run.counter("loadgen_http_request_failures_total", 40, error_type="http_5xx", **http),
        run.counter("loadgen_ws_connect_duration_seconds_count", 19),
        run.counter("loadgen_ws_connection_errors_total", 1, phase="connect", error_type="refused"),
        run.gauge("exporter_target_resident_memory_bytes", 40e6, target="demo"),
    )
    run.record(requests=500, failures=40, percentiles={"p95": 0.125})
    monkeypatch.setenv("COLUMNS", "100")
    argv = ("gate", "check", "--rules", DEFAULT_PRESET, "--testid", run.testid, "--no-push")
    assert gate_cli(*argv) == 1
    text = capsys.readouterr().out
    assert all(len(line) <= 100 for line in text.splitlines()), text
    header, rows = table_rows(text)
    assert cells(header) == ["objective", "verdict", "value", "threshold", "source"]
    assert all(1 <= len(row) <= 2 for row in rows), text
    assert [row_cells(row) for row in rows] == [
        ["p95 latency (key)", "PASS", "125.0ms", "pass < 500ms; warn < 1s", "record p95 exact"],
        ["error ratio (key)", "FAIL", "8.00%", "pass <= 5%", "prometheus"],
        ["throughput", "PASS", "25.0/s", "pass >= 1rps", "prometheus"],
        ["WebSocket connect success", "PASS", "95.00%", "pass >= 90%", "prometheus"],
        ["target memory growth", "PASS", "0.0MB", "pass < 100MB", "prometheus"],
    ]
    assert "verdict: FAIL" in text
    assert "FAIL error ratio: 8.00% against pass <= 5%" in text
    assert 'testid="' not in text

    assert gate_cli(*argv, "--verbose") == 1
    verbose = capsys.readouterr().out
    assert f"    query      run record {run.testid}: percentiles.p95 (exact)\n" in verbose
    assert re.search(
        r"^    query      \(sum\(last_over_time\(loadgen_http_request_failures_total\{testid=",
        verbose,
        re.M,
    )
    assert re.search(r"^    evaluated  \d+\.\d{3} \(\d{4}-\d\d-\d\dT", verbose, re.M)


@pytest.mark.slow
def test_the_demo_verdict_at_100_columns_no_row_over_two_lines(
    demo_run, tmp_path: Path, monkeypatch, capsys
) -> None:
    """`perfstack gate check` of a real `perfstack demo` run with the demo preset, printed
    for a 100-column terminal (COLUMNS): every objective one row of at most two lines with
    its verdict, value and threshold; --verbose adds the queries and evaluation time."""
    state = tmp_path / "state"
    (state / "runs").mkdir(parents=True)
    record = demo_run.state_dir / "runs" / f"{demo_run.testid}.json"
    shutil.copy(record, state / "runs")
    monkeypatch.setenv("COLUMNS", "100")
    argv = [
        "gate", "check", "--rules", str(DEFAULT_PRESET), "--testid", demo_run.testid,
        "--state-dir", str(state), "--prometheus", demo_run.prometheus_url, "--no-push",
        "--json", str(tmp_path / "gate.json"),
    ]  # fmt: skip
    code = main(argv)
    text = capsys.readouterr().out
    data = json.loads((tmp_path / "gate.json").read_text())
    assert code == data["exit_code"] == 0, text
    assert all(len(line) <= 100 for line in text.splitlines()), text
    header, rows = table_rows(text)
    assert cells(header) == ["objective", "verdict", "value", "threshold", "source"]
    assert len(rows) == len(data["objectives"]) == 5, text
    assert all(1 <= len(row) <= 2 for row in rows), text
    from gate.units import format_value

    shown = [row_cells(row) for row in rows]
    for row, objective in zip(shown, data["objectives"], strict=True):
        assert row[1] == objective["status"] == "PASS"
        assert row[2] == format_value(objective["value"], objective["unit"])
        assert row[3] == f"pass {objective['threshold']['pass']}" + (
            f"; warn {objective['threshold']['warn']}" if objective["threshold"]["warn"] else ""
        )
    assert shown[0][0] == "p95 latency (key)"
    assert shown[0][4] == "record p95 exact"
    assert shown[1][4] == "prometheus"
    assert "sum(last_over_time(" not in text

    code = main([*argv, "--verbose"])
    verbose = capsys.readouterr().out
    assert code == 0
    for objective in data["objectives"]:
        assert f"    query      {objective['query']}\n" in verbose
    assert re.search(r"^    evaluated  \d+\.\d{3} \(\d{4}-\d\d-\d\dT", verbose, re.M)


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
    print_table(result, file=out, width=600, verbose=True)
    text = out.getvalue()
    for expected in (
        "perfstack gate · [bold]rules[/bold] · run",
        "count [checkout] :x:",
        "rps [red]",
        'name="/api/items/[id]",method="GET"',
        'name="/api/items/[id]",method="PUT"',
        "NO_DATA rps [red]: ",  # no PUT was made: why, under the table
        "- rps [red]:",  # its recommendation
        "verdict: NO_DATA",
    ):
        assert expected in text, expected
    assert "❌" not in text
