"""How the page draws its charts: each chart is its own small Bokeh document, drawn when
it comes near the screen, the others one at a time while the page is idle.

Drawing all eleven charts before the page answered took about 2 s of a 10-minute run's
report in Chromium (bench/bench_report.py), nearly all of it Bokeh's layout and
painting, at the 2 s limit. The tables at the top read at once; the charts
below them are drawn by the time one scrolls there.

`window.perfstackReport` tells a test or a bench where drawing stands: `total` charts,
`drawn` of them (every Bokeh document idle), `first_view` (those on screen when the
page opened are drawn) and `draw_all()` (draw the rest now, in order).
"""

from __future__ import annotations

import json

from bokeh.core.types import ID
from bokeh.embed import json_item
from bokeh.model import Model

from perfstack.report.charts import HEIGHT

CSS = f".chart {{ min-height: {HEIGHT}px; }}\n"

# JavaScript conditions a test or bench waits for: the charts on screen at opening are
# drawn; every chart is drawn (asking the page to draw the rest at once)
FIRST_VIEW = "window.perfstackReport !== undefined && perfstackReport.first_view"
ALL_DRAWN = (
    "window.perfstackReport !== undefined && perfstackReport.draw_all()"
    " && perfstackReport.drawn === perfstackReport.total"
)

# the charts' JSON sits in the page as data (no script to run), parsed once
_DRAW = """
<script>
(() => {
  const items = JSON.parse(document.getElementById("perfstack-charts").textContent);
  const started = new Map();  // target id -> the promise of its drawing
  // Safari has no requestIdleCallback
  const idle = window.requestIdleCallback || (callback => setTimeout(callback, 50));
  const state = window.perfstackReport = {
    total: items.length, first_view: false,
    get drawn() { return Bokeh.documents.filter(doc => doc.is_idle).length; },
    draw_all() { items.forEach(draw); return true; },
  };
  function draw(item) {
    if (!started.has(item.target_id))
      started.set(item.target_id, Bokeh.embed.embed_item(item, item.target_id));
    return started.get(item.target_id);
  }
  function drawn_when_idle(doc) {
    return new Promise(resolve => {
      const check = () => doc.is_idle ? resolve() : setTimeout(check, 10);
      check();
    });
  }
  function rest() {
    const next = items.find(item => !started.has(item.target_id));
    if (next !== undefined) draw(next).then(() => idle(rest, {timeout: 100}));
  }
  function start() {
    const near = items.filter(item => {
      const box = document.getElementById(item.target_id).getBoundingClientRect();
      return box.top < window.innerHeight + 200 && box.bottom > -200;
    });
    Promise.all(near.map(draw)).then(() => Promise.all(Bokeh.documents.map(drawn_when_idle)))
      .then(() => { state.first_view = true; idle(rest, {timeout: 100}); });
    const observer = new IntersectionObserver(entries => {
      for (const entry of entries) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          draw(items.find(item => item.target_id === entry.target.id));
        }
      }
    }, {rootMargin: "400px"});
    items.forEach(item => observer.observe(document.getElementById(item.target_id)));
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
</script>
"""


def chart_items(figures: dict[str, Model]) -> tuple[str, dict[str, str]]:
    """The script that draws `figures` (to go at the end of the body) and each one's
    placeholder div, by key."""
    items = [json_item(figure, ID(f"chart-{key}")) for key, figure in figures.items()]
    # "</" in the JSON would end the script element early
    payload = json.dumps(items, separators=(",", ":")).replace("</", "<\\/")
    script = f'<script type="application/json" id="perfstack-charts">{payload}</script>{_DRAW}'
    divs = {
        key: f'<div class="chart" id="chart-{key}" data-chart="{key}"></div>' for key in figures
    }
    return script, divs
