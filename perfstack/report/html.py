"""The report as one self-contained HTML file: BokehJS (core only) inlined, the data in
the page, no request to anywhere when it opens."""

from __future__ import annotations

import datetime
import html
import os
import tempfile
from pathlib import Path

from bokeh.model import Model
from bokeh.resources import Resources

from gate.recommendations import recommend
from gate.units import format_value
from gate.verdicts import GateResult
from perfstack.core.record import MethodStats, RunRecord
from perfstack.history.detect import MIN_RUNS
from perfstack.report.charts import (
    PERCENTILES,
    distribution_chart,
    history_figures,
    time_chart,
)
from perfstack.report.data import ReportData
from perfstack.report.drawing import CSS, chart_items
from perfstack.report.history import RunHistory, change_text
from perfstack.report.open_model import arrival_figures, latency_pairs, saturated_text
from perfstack.report.panels import OPEN_MODEL, SECTIONS

# only BokehJS itself: no widgets, tables, GL or MathJax bundles (about 1.3 MB, not 3.9)
RESOURCES = Resources(mode="inline", components=["bokeh"])

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.PASS { background: #e6f4ea; } .WARN { background: #fff4d6; } .FAIL { background: #fde2e1; }
.NO_DATA, .ERROR { background: #eee; }
.not-measured, .history-note { color: #777; font-style: italic; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _row(cells: list[str], attrs: str = "") -> str:
    return f"<tr{attrs}>" + "".join(cells) + "</tr>"


def _td(text: object, field: str = "", value: object = None, num: bool = False) -> str:
    attrs = f' data-field="{_e(field)}"' if field else ""
    if value is not None:
        attrs += f' data-value="{_e(value)}"'
    return f"<td{attrs}{' class=num' if num else ''}>{_e(text)}</td>"


def _table(headers: list[str], rows: list[str], ident: str) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(rows)
    return f'<table id="{ident}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _ms(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1000:.2f} ms"


def _summary(record: RunRecord) -> str:
    started = datetime.datetime.fromtimestamp(record.start, datetime.UTC)
    errors = ", ".join(f"{k}: {v}" for k, v in sorted(record.errors_by_type.items()))
    status = record.exit_status + (f" ({record.message})" if record.message else "")
    rows: list[tuple[str, object, object]] = [
        ("testid", record.testid, None),
        ("scenario", record.scenario, None),
        ("target", record.target, None),
        ("start (UTC)", started.strftime("%Y-%m-%d %H:%M:%S"), None),
        ("duration", f"{record.duration or 0:.1f} s", record.duration),
        ("peak users", record.users, record.users),
        ("requests", record.requests, record.requests),
        ("failures", record.failures, record.failures),
        ("errors by type", errors or "none", None),
        ("exit status", status, None),
        ("generator saturated", saturated_text(record), None),
        ("samples dropped", record.samples_dropped, record.samples_dropped),
        *arrival_figures(record),  # the open model's schedule as played, when it had one
    ]
    body = "".join(
        _row([f"<th>{_e(name)}</th>", _td(text, name, value)]) for name, text, value in rows
    )
    return f'<table id="summary"><tbody>{body}</tbody></table>' + _corrected(record)


def _corrected(record: RunRecord) -> str:
    """The run's exact percentiles observed and from each intended start, side by side;
    nothing for a run that knew no intended starts."""
    rows = []
    for pair in latency_pairs(record):
        observed, gap = pair.observed, pair.gap
        cells = [
            f"<th>{_e(pair.key)}</th>",
            _td(_ms(observed) or "absent", "observed", "" if observed is None else repr(observed),
                num=True),
            _td(_ms(pair.corrected), "corrected", repr(pair.corrected), num=True),
            _td("" if gap is None else f"{gap * 1000:+.2f} ms", "gap",
                "" if gap is None else repr(gap), num=True),
        ]  # fmt: skip
        rows.append(_row(cells, f' data-name="{_e(pair.key)}"'))
    if not rows:
        return ""
    headers = ["percentile", "observed", "corrected", "corrected - observed"]
    return (
        "<h3>Latency of the run: observed vs corrected (exact, from the run record; "
        "corrected: from each request's intended start)</h3>"
        + _table(headers, rows, "latency-corrected")
    )


def _verdicts(result: GateResult) -> str:
    rows = []
    for entry in result.objectives:
        unit, base = entry.objective.unit, entry.baseline
        rows.append(
            _row(
                [
                    _td(entry.objective.name, "objective"),
                    _td(entry.status, "verdict"),
                    _td(format_value(entry.value, unit), "value", entry.value, num=True),
                    _td(entry.threshold_text, "threshold"),
                    _td("" if base is None else format_value(base.value, unit), "baseline"),
                    _td("" if base is None else base.change_text(with_level=True), "change"),
                    _td(entry.reason, "reason"),
                ],
                f' class="{_e(entry.status)}" data-objective="{_e(entry.objective.name)}"',
            )
        )
    rows += [
        _row([_td(s.name, "objective"), _td("skipped", "verdict"), *[_td("")] * 4,
              _td(s.reason, "reason")])
        for s in result.skipped
    ]  # fmt: skip
    headers = ["objective", "verdict", "value", "threshold", "baseline",
               "change [interval]", "reason"]  # fmt: skip
    advice = [(e.objective.name, recommend(e)) for e in result.objectives if recommend(e)]
    listed = "".join(f"<li><b>{_e(name)}</b>: {_e(text)}</li>" for name, text in advice)
    return (
        f"<h2>Verdict: <span id=\"verdict\">{_e(result.status)}</span></h2>"
        f"<p>Rules {_e(result.rules_name)}, score {result.score:.0%}. {_e(result.reason)}</p>"
        + _table(headers, rows, "verdicts")
        + "<h3>Recommendations</h3>"
        + (f'<ul id="recommendations">{listed}</ul>' if listed else
           '<p id="recommendations">none: every judged objective passed</p>')
    )  # fmt: skip


def _stats_cells(stats: MethodStats) -> list[str]:
    cells = [
        _td(stats.requests, "requests", stats.requests, num=True),
        _td(stats.failures, "failures", stats.failures, num=True),
    ]
    for key, _ in PERCENTILES:
        value = stats.percentiles.get(key)
        cells.append(_td(_ms(value), key, "" if value is None else repr(value), num=True))
    return cells


def _names(record: RunRecord) -> str:
    """One row per name and method, as the record keeps them (GET and PUT of a name
    apart); a name with several methods also gets its row over all of them. Records
    written before methods were kept show each name once, method blank."""
    rows = []
    for name, stats in sorted(record.names.items()):
        methods = sorted(stats.methods.items()) or [("", stats)]
        if len(methods) > 1:
            methods.append(("all methods", stats))
        for method, figures in methods:
            key = "" if method == "all methods" else method
            rows.append(
                _row(
                    [_td(name, "name"), _td(method, "method"), *_stats_cells(figures)],
                    f' data-name="{_e(name)}" data-method="{_e(key)}"',
                )
            )
    total = MethodStats(record.requests, record.failures, record.percentiles)
    rows.append(
        _row(
            [_td("all requests", "name"), _td("", "method"), *_stats_cells(total)],
            ' data-name="" data-method=""',
        )
    )
    headers = ["name", "method", "requests", "failures", *(key for key, _ in PERCENTILES)]
    return "<h2>Requests by name and method (exact, from the run record)</h2>" + _table(
        headers, rows, "names"
    )


def _change(current: float | None, base: float | None) -> str:
    if current is None or base is None or base <= 0:
        return ""
    return f"{current / base - 1:+.1%}"


def _figure(run: RunRecord, stats: MethodStats | None, field: str) -> float | None:
    """requests/s over the run's load time, or an exact percentile of the record."""
    if stats is None:
        return None
    if field == "requests/s":
        return stats.requests / run.duration if run.duration else None
    return stats.percentiles.get(field)


def _shown(value: float | None, field: str) -> str:
    if value is None:
        return "absent"
    return f"{value:.2f}" if field == "requests/s" else _ms(value)


def _baseline_table(record: RunRecord, baseline: RunRecord) -> str:
    fields = ("requests/s", "p50", "p95", "p99")
    rows = []
    for name in sorted(set(record.names) | set(baseline.names)):
        cells = [_td(name, "name")]
        for field in fields:
            current = _figure(record, record.names.get(name), field)
            base = _figure(baseline, baseline.names.get(name), field)
            cells += [
                _td(_shown(current, field), field),
                _td(_shown(base, field), f"baseline {field}"),
                _td(_change(current, base), f"change {field}", num=True),
            ]
        rows.append(_row(cells, f' data-name="{_e(name)}"'))
    headers = ["name"]
    for field in fields:
        headers += [field, "baseline", "change"]
    title = f"<h2>Change against baseline run {_e(baseline.testid)} (per name)</h2>"
    return title + _table(headers, rows, "baseline-change")


def _change_points(found: RunHistory) -> str:
    rows = [
        _row(
            [
                _td(point.sli, "sli"),
                _td(point.run_after.testid, "run_after"),
                _td(point.run_before.testid, "run_before"),
                _td(f"{point.mean_before:.6g}", "mean_before", point.mean_before, num=True),
                _td(f"{point.mean_after:.6g}", "mean_after", point.mean_after, num=True),
                _td(change_text(point), "change", point.change_ratio, num=True),
                _td(f"{point.p_value:.2g}", "p_value", point.p_value, num=True),
            ],
            f' data-sli="{_e(point.sli)}"',
        )
        for sli in found.slis
        for point in sli.change_points
    ]
    headers = ["SLI", "first run after", "last run before", "mean before", "mean after",
               "change", "p-value"]  # fmt: skip
    return _table(headers, rows, "history-changes") if rows else ""


def _short(text: str) -> str:
    return f'<p class="history-note">{_e(text)}</p>'


def history_section(found: RunHistory | None, divs: dict[str, str]) -> str:
    """The section's HTML; `divs` are the placeholders of history_figures' charts."""
    body = ['<section id="section-history"><h2>Run history</h2>']
    if found is None:
        body.append(_short("run history not read (--no-history)"))
        return "".join([*body, "</section>"])
    intro = (f"Scenario {found.scenario}: {found.runs} run(s) since {found.since}, each SLI of "
             f"the whole run by run, change points found by Apache Otava (E-divisive means, "
             f"t-test; at least {MIN_RUNS} runs).")  # fmt: skip
    body.append(f"<p>{_e(intro)}</p>")
    body += [_short(note) for note in found.notes]
    if found.undetected:
        body.append(f'<p class="history-note" id="history-undetected">{_e(found.undetected)}</p>')
    if found.runs == 0 and not found.undetected:
        body.append(_short(f"no run of scenario {found.scenario} since {found.since}"))
    elif not found.slis and not found.undetected:
        body.append(_short(f"no whole-run SLI in the {found.runs} run(s)"))
    for sli in found.slis:
        if not sli.judged:
            body.append(
                f'<p class="history-note" data-history="{_e(sli.sli)}">{_e(sli.sli)}: not enough '
                f"runs: {len(sli.values)} of {MIN_RUNS} (no change point looked for)</p>"
            )
            continue
        body.append(divs[f"history_{sli.sli}"])
        if not sli.change_points and not found.undetected:
            body.append(f'<p data-history="{_e(sli.sli)}">{_e(sli.sli)}: no change point in '
                        f"{len(sli.values)} runs</p>")  # fmt: skip
    body.append(_change_points(found))
    body.append("</section>")
    return "".join(body)


def render(data: ReportData) -> str:
    record = data.record
    baseline_name = data.baseline.testid if data.baseline else ""
    figures: dict[str, Model] = {}
    sections: dict[str, list[str]] = {section: [] for section in SECTIONS}
    for chart in data.charts:
        key = chart.spec.key
        if chart.measured:
            figures[key] = time_chart(chart, data.stages, data.abort, data.seconds, baseline_name)
            sections[chart.spec.section].append(key)
        else:
            sections[chart.spec.section].append("")
    distribution = distribution_chart(record)
    if distribution is not None:
        figures["latency_distribution"] = distribution
    figures.update(history_figures(data.history))
    script, divs = chart_items(figures)
    body = [
        f"<h1>perfstack report: {_e(record.testid)}</h1>",
        _summary(record),
        _verdicts(data.result),
        _names(record),
    ]
    if data.baseline is not None:
        body.append(_baseline_table(record, data.baseline))
    for section in SECTIONS:
        if section == OPEN_MODEL and not any(c.spec.section == section for c in data.charts):
            continue  # a closed run: nothing of the open model was to be measured
        ident = section.lower().replace(" ", "-")
        body.append(f'<section id="section-{ident}"><h2>{_e(section)}</h2>')
        measured = [key for key in sections[section] if key]
        if not measured:
            body.append(f'<p class="not-measured" data-section="{_e(section)}">'
                        f"{_e(section)}: not measured in this run</p>")  # fmt: skip
        else:
            for chart in data.charts:
                if chart.spec.section != section:
                    continue
                if chart.measured:
                    body.append(divs[chart.spec.key])
                else:
                    body.append(f'<p class="not-measured" data-chart="{_e(chart.spec.key)}">'
                                f"{_e(chart.spec.title)}: none in this run</p>")  # fmt: skip
        body.append("</section>")
    body.append('<section id="section-distribution"><h2>Latency distribution</h2>')
    body.append(divs.get("latency_distribution", '<p class="not-measured">no request recorded</p>'))
    body.append("</section>")
    body.append(history_section(data.history, divs))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>perfstack report {_e(record.testid)}</title><style>{STYLE}{CSS}</style>"
        f"{RESOURCES.render()}</head><body>{''.join(body)}{script}</body></html>\n"
    )  # fmt: skip


def write_report(data: ReportData, path: Path) -> Path:
    """Write atomically: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(render(data))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp's 0600 would hide it from a web server
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
