from __future__ import annotations

from pathlib import Path

import pytest

from gate.report_markdown import render_markdown, write_markdown


def test_markdown_is_a_table_with_one_row_per_objective(mixed_result) -> None:
    text = render_markdown(mixed_result)
    lines = text.splitlines()
    header = lines.index("| objective | verdict | value | threshold | baseline | change | query |")
    assert lines[header + 1] == "|---|---|---|---|---|---|---|"
    rows = lines[header + 2 : header + 2 + len(mixed_result.objectives)]
    assert all(row.startswith("| ") and row.endswith(" |") for row in rows)
    # every row has exactly the header's 7 cells: a '|' in a name is escaped
    assert all(row.replace("\\|", "").count("|") == 8 for row in rows)
    assert any(row.startswith("| broken \\| pipe |") for row in rows)
    assert "| vs baseline | ❌ FAIL | 500 | vs baseline >= -10% | 1000 | -50.0% |" in text
    assert "### Recommendations" in text


def test_markdown_appends_to_the_github_step_summary(mixed_result, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    out = tmp_path / "gate.md"
    write_markdown(mixed_result, out, environ={"GITHUB_STEP_SUMMARY": str(summary)})
    assert summary.read_text() == "earlier step\n" + out.read_text()


def test_markdown_renders_as_an_html_table(mixed_result) -> None:
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable("table").render(render_markdown(mixed_result))
    assert html.count("<table>") == 1
    assert html.count("<th>") == 7
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    assert body.count("<tr>") == len(mixed_result.objectives)
    assert body.count("<td>") == 7 * len(mixed_result.objectives)
    assert "<td>broken | pipe</td>" in body  # the escaped pipe stays inside its cell


def _html(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(text)


def test_with_charts_the_table_stays_one_valid_table_followed_by_mermaid_blocks(
    mixed_result,
) -> None:
    text = render_markdown(mixed_result, with_charts=True)
    html = _html(text)
    assert html.count("<table>") == 1
    assert html.count("<th>") == 7
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    assert body.count("<tr>") == len(mixed_result.objectives)
    assert body.count("<td>") == 7 * len(mixed_result.objectives)
    assert html.index("</table>") < html.index("<h3>Charts</h3>")
    assert html.count('<pre><code class="language-mermaid">xychart-beta\n') == 2
    assert "Not drawn (no value to draw): ws rtt (NO_DATA), broken | pipe (ERROR)." in html
    assert "    bar [0.2, 200, 200]\n" in text  # requests, throughput, errors: % of the limit


def test_the_report_url_is_one_link_even_with_parentheses(mixed_result) -> None:
    url = "https://ci.example/run/42/artifacts/gate(1).html?x=1&y=2"
    html = _html(render_markdown(mixed_result, report_url=url))
    assert '<a href="https://ci.example/run/42/artifacts/gate(1).html?x=1&amp;y=2">' in html
    assert "HTML report</a>" in html
    assert "language-mermaid" not in html  # a link instead of charts


@pytest.mark.parametrize(
    ("mode", "environ", "drawn"),
    [
        ("auto", {}, False),
        ("auto", {"GITHUB_ACTIONS": "true"}, True),
        ("auto", {"GITLAB_CI": "true"}, True),
        ("auto", {"CI": "true", "JENKINS_URL": "http://127.0.0.1:8080"}, False),
        ("none", {"GITHUB_ACTIONS": "true"}, False),
        ("mermaid", {}, True),
    ],
)
def test_charts_where_the_ci_draws_them(
    mixed_result, tmp_path: Path, mode: str, environ: dict[str, str], drawn: bool
) -> None:
    out = tmp_path / "gate.md"
    write_markdown(mixed_result, out, environ=environ, chart_mode=mode)
    assert ("```mermaid" in out.read_text()) is drawn


def test_gate_check_writes_charts_and_the_link(run_data, gate_cli, tmp_path: Path) -> None:
    from tests.gate.conftest import write_rules

    run = run_data()
    run.write(
        run.counter("loadgen_http_requests_total", 500, name="a", method="GET", status="200"),
        run.counter(
            "loadgen_http_request_failures_total", 10, name="a", method="GET", error_type="http_5xx"
        ),
    )
    run.record(requests=500, failures=10, percentiles={"p95": 0.125})
    rules = write_rules(
        tmp_path,
        """
objectives:
  - {name: p95, sli: latency_p95, pass: "< 500ms"}
  - {name: errors, sli: error_ratio, pass: "<= 5%"}
  - {name: throughput, sli: throughput, pass: ">= 1rps"}
""",
    )
    out = tmp_path / "gate.md"
    code = gate_cli(
        "gate", "check", "--rules", rules, "--testid", run.testid, "--no-push",
        "--markdown", out, "--markdown-charts", "mermaid",
        "--report-url", "https://ci.example/artifacts/report.html",
    )  # fmt: skip
    assert code == 0
    text = out.read_text()
    # 125 ms of 500 ms, 2% of 5%, 1 rps of the 25 rps made (500 requests in 20 s)
    assert '    x-axis ["p95", "errors", "throughput"]\n    y-axis' in text
    assert "    bar [25, 40, 4]\n" in text
    assert "[HTML report](<https://ci.example/artifacts/report.html>)" in text


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "https://ci.example/a b", "<x>", "https://", "ftp://h/x"]
)
def test_a_report_url_that_is_not_an_address_is_refused_in_one_line(capsys, url: str) -> None:
    from perfstack.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["gate", "check", "--rules", "r.yaml", "--report-url", url])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("perfstack: error: "), error
    assert "--report-url" in error and "expected an http(s) URL" in error
