"""The Markdown report's charts: each bar is the % of its limit used, checked number by
number, never on the wrong side of 100 for its verdict, and text Mermaid's xychart
grammar reads (numbers without exponent, strings without '"')."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from gate.report_charts import Chart, change_use, charts, threshold_use
from gate.thresholds import parse_condition, parse_relative
from gate.verdicts import Status
from perfstack.testing.browser import visit

# Mermaid's xychart lexer: NUMBER_WITH_DECIMAL and a quoted string (no escape inside)
NUMBER = r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)"
STRING = r'"[^"`\n]*"'


def parse_chart(text: str) -> dict[str, object]:
    """The statements of one ```mermaid block, each checked against the grammar."""
    lines = text.strip().splitlines()
    assert lines[0] == "```mermaid" and lines[-1] == "```" and lines[1] == "xychart-beta"
    found: dict[str, object] = {}
    for line in lines[2:-1]:
        keyword, _, rest = line.strip().partition(" ")
        if keyword == "title":
            assert re.fullmatch(STRING, rest), line
            found["title"] = rest[1:-1]
        elif keyword == "x-axis":
            assert re.fullmatch(rf"\[{STRING}(?:, {STRING})*\]", rest), line
            found["labels"] = re.findall(r'"([^"]*)"', rest)
        elif keyword == "y-axis":
            assert re.fullmatch(rf"{STRING} {NUMBER} --> {NUMBER}", rest), line
            found["range"] = [float(n) for n in rest.split('" ')[1].split(" --> ")]
        else:
            assert keyword in ("bar", "line"), line
            assert re.fullmatch(rf"\[{NUMBER}(?:, {NUMBER})*\]", rest), line
            found[keyword] = [float(n) for n in rest[1:-1].split(", ")]
    assert len(found["labels"]) == len(found["bar"]) == len(found["line"])  # type: ignore[arg-type]
    return found


@pytest.mark.parametrize(
    ("condition", "value", "bar"),
    [
        ("< 500ms", 0.125, 25.0),  # a quarter of the budget
        ("< 500ms", 0.75, 150.0),
        ("<= 5%", 0.02, 40.0),
        (">= 1rps", 25.0, 4.0),  # a lower bound: limit / value
        (">= 90%", 0.45, 200.0),  # missed by half: limit / value = 2
        (">= 1rps", 0.0, 200.0),  # no throughput at all: at the ceiling, never 0
        ("< 1%", 0.01, 100.0),  # at the limit of a strict bound: a miss, on the line
        ("< 1s", 30.0, 200.0),  # clipped
        ("<= 0", 0.0, 0.0),  # 'no errors' met
        ("<= 0", 0.001, 200.0),  # and missed
        ("0.1..0.5", 0.25, 50.0),
        ("0.1..0.5", 0.05, 100.0),  # below the range: a miss, never drawn as a pass
    ],
)
def test_threshold_use(condition: str, value: float, bar: float) -> None:
    assert threshold_use(value, parse_condition(condition)) == pytest.approx(bar)


@pytest.mark.parametrize(
    ("criterion", "change", "status", "bar"),
    [
        ("<= +10%", 0.05, Status.PASS, 50.0),
        ("<= +10%", 0.25, Status.FAIL, 200.0),
        ("<= +10%", 0.15, Status.FAIL, 150.0),
        ("<= +10%", -0.30, Status.PASS, 0.0),  # better: nothing of the allowed change used
        (">= -10%", -0.05, Status.PASS, 50.0),
        (">= -10%", -0.5, Status.FAIL, 200.0),
        ("<= +10%", math.inf, Status.FAIL, 200.0),  # from a baseline of 0
        # the bootstrap interval decided PASS though the point change is past the limit
        ("<= +10%", 0.12, Status.PASS, 100.0),
    ],
)
def test_change_use(criterion: str, change: float, status: Status, bar: float) -> None:
    assert change_use(change, parse_relative(criterion), status) == pytest.approx(bar)


def test_the_charts_of_every_verdict_leave_out_what_has_no_value(mixed_result) -> None:
    drawn, not_drawn = charts(mixed_result)
    thresholds, changes = (parse_chart(chart.mermaid()) for chart in drawn)
    # requests 500 against >= 1; 25/s against >= 1000rps; 10% errors against < 1%
    assert thresholds["labels"] == ["requests", "throughput", "errors"]
    assert thresholds["bar"] == [0.2, 200.0, 200.0]
    assert thresholds["line"] == [100.0, 100.0, 100.0]
    assert thresholds["range"] == [0.0, 200.0]
    # 500 against a baseline of 1000: -50% against >= -10%
    assert changes["labels"] == ["vs baseline"] and changes["bar"] == [200.0]
    assert not_drawn == ["ws rtt (NO_DATA)", "broken | pipe (ERROR)"]


def test_names_are_written_so_mermaid_reads_them() -> None:
    chart = Chart(
        'a "title" with `ticks`',
        ['a "quoted" name', "`tick` first", "semi; colon: [b], c", "two\nlines", "x" * 40],
        [0.0, 12.34, 200.0, 99.96, 0.04],
    )
    found = parse_chart(chart.mermaid())
    assert found["title"] == "a 'title' with 'ticks'"
    assert found["labels"] == [
        "a 'quoted' name", "'tick' first", "semi; colon: [b], c", "two lines", "x" * 23 + "…",
    ]  # fmt: skip
    assert found["bar"] == [0.0, 12.3, 200.0, 100.0, 0.0]


# each chart parsed and rendered by Mermaid as GitHub does: the SVG's bar heights and texts
RENDER = """
window.rendered = undefined;
mermaid.initialize({startOnLoad: false});
(async () => {
  const out = [];
  for (const [index, text] of TEXTS.entries()) {
    try {
      await mermaid.parse(text);
      const svg = new DOMParser().parseFromString(
        (await mermaid.render(`chart${index}`, text)).svg, "image/svg+xml");
      out.push({
        bars: [...svg.querySelectorAll("g.bar-plot-0 rect")].map(r => +r.getAttribute("height")),
        texts: [...svg.querySelectorAll("text")].map(t => t.textContent),
      });
    } catch (error) {
      out.push({error: String(error && error.message || error)});
    }
  }
  window.rendered = out;
})();
"""


def render_in_mermaid(mermaid_js: str, texts: list[str], directory: Path) -> list[dict]:
    page = directory / "mermaid.html"
    script = mermaid_js.replace("</script", "<\\/script")
    page.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><script>{script}</script></head>"
        f"<body><script>const TEXTS = {json.dumps(texts)};{RENDER}</script></body></html>"
    )
    opened = visit(page, ready="Array.isArray(window.rendered)", read="window.rendered")
    assert opened.console_errors == [] and opened.outside_requests == []
    return list(opened.value)


def test_the_charts_render_in_mermaid(mixed_result, mermaid_js: str, tmp_path: Path) -> None:
    drawn, _ = charts(mixed_result)
    odd = Chart(
        'a "title" with `ticks`',
        ['a "quoted" name', "`tick` first", "semi; colon: [b], c", "two\nlines", "x" * 40],
        [0.0, 12.34, 200.0, 99.96, 0.04],
    )
    blocks = [chart.mermaid() for chart in (*drawn, odd)]
    texts = ["\n".join(block.splitlines()[1:-1]) for block in blocks]  # inside the fence
    broken = "xychart-beta\n    bar [1e5]"  # an exponent: what _number never writes
    *rendered, refused = render_in_mermaid(mermaid_js, [*texts, broken], tmp_path)
    assert "error" in refused  # the page does tell a chart Mermaid cannot parse
    for text, chart in zip(texts, rendered, strict=True):
        assert "error" not in chart, (chart, text)
        found = parse_chart(f"```mermaid\n{text}\n```")
        assert chart["texts"][: 1 + len(found["labels"])] == [found["title"], *found["labels"]]
        # one bar per value, each as high as its value on the axis (an affine scale)
        values, heights = found["bar"], chart["bars"]
        assert len(heights) == len(values)
        top, bottom = max(range(len(values)), key=values.__getitem__), 0
        scale = (heights[top] - heights[bottom]) / ((values[top] - values[bottom]) or 1)
        for value, height in zip(values, heights, strict=True):
            assert height == pytest.approx(heights[bottom] + scale * (value - values[bottom]),
                                           abs=0.5), (value, heights)  # fmt: skip
