"""Markdown report (`--markdown FILE`, appended to $GITHUB_STEP_SUMMARY when set): a
requirement-validation table (skipped objectives last, with why), then recommendations for
what did not pass."""

from __future__ import annotations

import os
from pathlib import Path

from gate.recommendations import recommend
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


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: GateResult) -> str:
    lines = [
        f"## perfstack gate: {ICONS[result.status]} {result.status}",
        "",
        f"Run `{result.testid}` (scenario `{result.scenario}`), rules `{result.rules_name}`; "
        f"score {result.score:.0%}. {_cell(result.reason)}",
        "",
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
    advice = [(e.objective.name, e.reason, recommend(e)) for e in result.objectives if recommend(e)]
    if advice:
        lines += ["", "### Recommendations", ""]
        lines += [
            f"- **{_cell(name)}**: {_cell(text)}" + (f" ({_cell(why)})" if why else "")
            for name, why, text in advice
        ]
    return "\n".join(lines) + "\n"


def write_markdown(
    result: GateResult, path: Path | None, environ: dict[str, str] | None = None
) -> None:
    text = render_markdown(result)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    summary = (environ if environ is not None else dict(os.environ)).get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(text)
