"""Markdown report (`--markdown FILE`, appended to $GITHUB_STEP_SUMMARY when set): a
requirement-validation table (skipped objectives last, with why), small charts where the
Markdown is drawn with Mermaid (GitHub, GitLab; `gate/report_charts.py`), a link to the
HTML report when its address is given, then recommendations for what did not pass."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from urllib.parse import urlsplit

from gate.recommendations import recommend
from gate.report_charts import charts
from gate.units import format_value
from gate.verdicts import GateResult, Status

ICONS = {
    Status.PASS: "✅",
    Status.WARN: "⚠️",
    Status.FAIL: "❌",
    Status.NO_DATA: "❔",
    Status.ERROR: "💥",
}

SKIPPED_ICON = "⏭️"

CHART_MODES = ("auto", "mermaid", "none")
# CI services whose Markdown (job summaries, merge-request comments) draws ```mermaid
MERMAID_CI = ("GITHUB_ACTIONS", "GITLAB_CI")


def draws_mermaid(mode: str, environ: dict[str, str]) -> bool:
    """Charts for `--markdown-charts MODE`: `auto` draws them where the CI shows them."""
    if mode == "auto":
        return any(environ.get(name) == "true" for name in MERMAID_CI)
    return mode == "mermaid"


def report_url_argument(text: str) -> str:
    """argparse `type=` for --report-url: an http(s) address or a relative path, written
    into a Markdown link, so nothing that would end the link or run as a script."""
    if not text or any(c.isspace() or c in "<>" or ord(c) < 32 for c in text):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected an http(s) URL or a relative path without spaces, '<' or '>'"
        )
    parts = urlsplit(text)
    if parts.scheme not in ("", "http", "https") or (parts.scheme and not parts.netloc):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected an http(s) URL (https://host/...) or a relative path"
        )
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(
    result: GateResult, with_charts: bool = False, report_url: str | None = None
) -> str:
    lines = [
        f"## perfstack gate: {ICONS[result.status]} {result.status}",
        "",
        f"Run `{result.testid}` (scenario `{result.scenario}`), rules `{result.rules_name}`; "
        f"score {result.score:.0%}. {_cell(result.reason)}",
        "",
    ]
    if report_url:
        # <...>: an address with parentheses stays one link
        lines += [f"Charts and resolved queries: [HTML report](<{report_url}>)", ""]
    lines += [
        "### Requirement validation",
        "",
        "| objective | verdict | value | threshold | baseline | change | query |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in result.objectives:
        unit = entry.objective.unit
        base = entry.baseline
        change = "" if base is None else base.change_text()
        lines.append(
            "| "
            + " | ".join(
                _cell(cell)
                for cell in (
                    entry.objective.name,
                    f"{ICONS[entry.status]} {entry.status}",
                    format_value(entry.value, unit),
                    entry.threshold_text,
                    "" if base is None else format_value(base.value, unit),
                    change,
                    f"`{entry.query}`",
                )
            )
            + " |"
        )
    for skipped in result.skipped:
        cells = (skipped.name, f"{SKIPPED_ICON} skipped", "", "", "", "", skipped.reason)
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    if with_charts:
        lines += _charts(result)
    advice = [(e.objective.name, e.reason, recommend(e)) for e in result.objectives if recommend(e)]
    if advice:
        lines += ["", "### Recommendations", ""]
        lines += [
            f"- **{_cell(name)}**: {_cell(text)}" + (f" ({_cell(why)})" if why else "")
            for name, why, text in advice
        ]
    return "\n".join(lines) + "\n"


def _charts(result: GateResult) -> list[str]:
    drawn, not_drawn = charts(result)
    lines = ["", "### Charts", ""] if drawn or not_drawn else []
    for chart in drawn:
        lines += [chart.mermaid(), ""]
    if not_drawn:
        lines.append(f"Not drawn (no value to draw): {_cell(', '.join(not_drawn))}.")
    return lines


def write_markdown(
    result: GateResult,
    path: Path | None,
    environ: dict[str, str] | None = None,
    chart_mode: str = "auto",
    report_url: str | None = None,
) -> None:
    environ = environ if environ is not None else dict(os.environ)
    text = render_markdown(result, draws_mermaid(chart_mode, environ), report_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(text)
