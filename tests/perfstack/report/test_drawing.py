"""The page's chart payload: one Bokeh document per chart, kept as JSON data."""

from __future__ import annotations

import json
import re

from bokeh.plotting import figure

from perfstack.report.drawing import chart_items


def test_each_chart_is_an_item_for_its_div_and_no_text_ends_the_script_early() -> None:
    first, second = figure(name="a", title="</script><b>x"), figure(name="b")
    first.line([0, 1], [1, 2])
    second.line([0, 1], [3, 4])
    script, divs = chart_items({"a": first, "b": second})
    assert divs == {"a": '<div class="chart" id="chart-a" data-chart="a"></div>',
                    "b": '<div class="chart" id="chart-b" data-chart="b"></div>'}  # fmt: skip
    payload = re.fullmatch(
        r'<script type="application/json" id="perfstack-charts">(.*?)</script>.*',
        script,
        re.DOTALL,
    )
    assert payload is not None
    items = json.loads(payload.group(1))  # "<\/" reads back as "</"
    assert [item["target_id"] for item in items] == ["chart-a", "chart-b"]
    assert "</script><b>x" in json.dumps(items)
    assert "</script>" not in payload.group(1)
