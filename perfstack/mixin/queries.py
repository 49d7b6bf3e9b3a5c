"""Every PromQL query a dashboard holds, and Grafana's variable substitution for running them.

Used by the tests (each panel of each dashboard must return data after a real run) and
handy for checking a dashboard against any Prometheus without Grafana.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    ref_id: str
    expr: str
    instant: bool

    def where(self) -> str:
        return f"{self.dashboard} / {self.panel} / {self.ref_id}"


def panel_queries(dashboard: dict[str, Any]) -> Iterator[PanelQuery]:
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield PanelQuery(
                dashboard["title"],
                panel["title"],
                target["refId"],
                target["expr"],
                bool(target.get("instant")),
            )


def annotation_queries(dashboard: dict[str, Any]) -> Iterator[PanelQuery]:
    for annotation in dashboard["annotations"]["list"]:
        yield PanelQuery(
            dashboard["title"], f"annotation {annotation['name']}", "-", annotation["expr"], False
        )


_REGEX_SPECIAL = re.compile(r"([\\^$*+?.()|{}\[\]])")


def _regex_escape(value: str) -> str:
    """Escape a value for a regex inside a PromQL string literal, as Grafana does (\\.)."""
    return _REGEX_SPECIAL.sub(r"\\\\\1", value)


def substitute(
    expr: str,
    testids: Sequence[str],
    *,
    range_seconds: int,
    rate_interval: str = "1m",
    interval: str = "15s",
    filters: Mapping[str, str] | None = None,
) -> str:
    """Replace Grafana's variables the way Grafana does before sending a query; the
    request filters ($name, $method, $status) are All (".+") unless given."""
    regex = "|".join(_regex_escape(testid) for testid in testids)
    if len(testids) > 1:
        regex = f"({regex})"
    chosen = {"name": ".+", "method": ".+", "status": ".+", **(filters or {})}
    replacements = {
        **{f"${label}": value for label, value in chosen.items()},
        "$testid": regex,
        "$__rate_interval": rate_interval,
        "$__interval": interval,
        "$__range_s": str(range_seconds),
        "$__range": f"{range_seconds}s",
    }
    # Longest names first so $__range_s is not read as $__range followed by "_s".
    for name in sorted(replacements, key=len, reverse=True):
        expr = expr.replace(name, replacements[name])
    # `$1` is label_replace's capture reference, PromQL's own, not a Grafana variable
    if re.search(r"\$(?!\d)", expr):
        raise ValueError(f"unsubstituted variable left in {expr!r}")
    return expr
