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
    sli: str, default: float | None, *, upper: bool = True, matchers: str = WHOLE_RUN
) -> Target:
    """A panel target drawing the pass level of `sli` (legend names it for the override)."""
    return query(level(sli, default, upper=upper, matchers=matchers), f"{LEGEND_PREFIX}{sli}")


def is_level_query(expr: str) -> bool:
    return c.OBJECTIVE_THRESHOLD in expr
