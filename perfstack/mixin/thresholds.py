"""Threshold lines that follow the team's rule file.

`perfstack up --rules` (and `perfstack gate alerts`) publish each objective's one-sided
pass/warn level as `gate:objective_threshold:constant` (gate/alert_rules.py). A panel's
line is the strictest loaded level of its SLI, so with several rule sets loaded it shows
the level the first of them to object would judge; without a rule file it is the default
from config.py (or no line where config has none). These queries are the only ones with no
`testid` filter: a level belongs to a rule set, not to a run.
"""

from __future__ import annotations

from perfstack.mixin import config as c
from perfstack.mixin.panels import Target, query

# Levels of objectives narrowed to one request are per-request levels, not the whole run's.
WHOLE_RUN = 'name=""'
# Legend of a level series: the panels' override matches it to draw a dashed red line.
LEGEND_PREFIX = "pass level "
# A line drawn only where the panel has data of its own (`line(..., beside=...)`), so a
# panel whose series exist only for some runs (the open model) shows its no-data text
# rather than a lone threshold line.
_BESIDE = ") and on () count("


def level(
    sli: str,
    default: float | None,
    *,
    upper: bool = True,
    level_name: str = "pass",
    matchers: str = WHOLE_RUN,
) -> str:
    """PromQL of the strictest loaded level of `sli`: the lowest for an upper bound (latency,
    errors), the highest for a lower bound; `default` when no rule file sets one."""
    selector = f'sli="{sli}", level="{level_name}"' + (f", {matchers}" if matchers else "")
    expr = f"{'min' if upper else 'max'}({c.OBJECTIVE_THRESHOLD}{{{selector}}})"
    return expr if default is None else f"{expr} or vector({default!r})"


def line(
    sli: str,
    default: float | None,
    *,
    upper: bool = True,
    matchers: str = WHOLE_RUN,
    level_name: str = "pass",
    beside: str | None = None,
) -> Target:
    """A panel target drawing the `level_name` level of `sli` (legend names it for the
    override); with `beside`, only at the times that query has a series."""
    expr = level(sli, default, upper=upper, level_name=level_name, matchers=matchers)
    if beside is not None:
        expr = f"({expr}{_BESIDE}{beside})"
    return query(expr, f"{level_name} level {sli}")


def is_level_query(expr: str) -> bool:
    return c.OBJECTIVE_THRESHOLD in expr


def level_part(expr: str) -> str:
    """The level of a line's query, without the `beside` condition (a query of the run)."""
    return expr[1 : expr.index(_BESIDE)] if _BESIDE in expr else expr
