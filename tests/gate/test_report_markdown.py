from __future__ import annotations

from pathlib import Path

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
