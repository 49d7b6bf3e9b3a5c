"""`perfstack gate lint`: the rule file's schema, every placeholder resolved and every query
printed, Prometheus asked to parse them, and warnings for patterns that hide failures:

- `or vector(0)` / `absent()`: an empty result becomes a number and can pass;
- mixed units: a bare number against a seconds/bytes/ratio SLI (500 against seconds is
  500 s, not 500 ms);
- thresholds that can never fail (`< +Inf`, `>= 0` on a non-negative SLI, `<= 100%` on a
  ratio).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from pathlib import Path

from gate.measure import Measurer, UnresolvedPlaceholder
from gate.model import Objective, RuleSet
from gate.prometheus import PrometheusClient, PrometheusUnavailable, QueryRejected
from gate.rules import load_rules
from gate.shorthands import SHORTHANDS, selector
from gate.thresholds import Comparison, Condition, Range
from gate.window import RunWindow, resolve
from perfstack.core.errors import ExitCode

_OR_VECTOR = re.compile(r"\bor\s+(on\s*\([^)]*\)\s*)?vector\s*\(")
_ABSENT = re.compile(r"\babsent(_over_time)?\s*\(")
_TO_MILLIS = re.compile(r"\*\s*1000\b|\b1000\s*\*")
NON_NEGATIVE_UNITS = ("seconds", "ratio", "rps", "count", "bytes")


@dataclass
class Finding:
    objective: str
    line: int
    severity: str  # warning | error
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: line {self.line}: {self.objective}: {self.message}"


def inferred_unit(objective: Objective, queries: list[str]) -> str:
    if objective.unit:
        return objective.unit
    text = " ".join(queries)
    for suffix, unit in (("_seconds", "seconds"), ("_bytes", "bytes"), ("_ratio", "ratio")):
        if re.search(suffix + r"(_bucket|_sum|_count|_total)?\b", text):
            return unit
    return ""


def _conditions(objective: Objective) -> list[tuple[str, Condition]]:
    return [
        (label, c)
        for label, c in (("pass", objective.passing), ("warn", objective.warning))
        if c is not None
    ]


def unit_findings(objective: Objective, unit: str, queries: list[str]) -> list[str]:
    messages = []
    for label, condition in _conditions(objective):
        limits = (
            [condition.limit]
            if isinstance(condition, Comparison)
            else [condition.low, condition.high]
        )
        bare = condition.unit == ""
        if unit == "seconds" and bare and any(abs(v) >= 10 and math.isfinite(v) for v in limits):
            messages.append(
                f"{label} {condition.text!r} has no unit against a seconds SLI: "
                f"{limits[-1]:g} means "
                f"{limits[-1]:g} s; write e.g. '{condition.text}ms' if milliseconds were meant"
            )
        if (
            unit == "seconds"
            and any(_TO_MILLIS.search(q) for q in queries)
            and condition.unit in ("s", "ms")
        ):
            messages.append(
                f"the query multiplies by 1000 (milliseconds) but {label} "
                f"{condition.text!r} is converted to seconds"
            )
        if unit == "ratio" and bare and any(1 < abs(v) <= 100 for v in limits):
            messages.append(
                f"{label} {condition.text!r} against a ratio (0..1): did you mean {limits[-1]:g}%?"
            )
        if unit == "bytes" and bare and any(0 < abs(v) < 1e5 for v in limits):
            messages.append(
                f"{label} {condition.text!r} against bytes: did you mean {limits[-1]:g}MB?"
            )
    return messages


def never_fails(condition: Condition, unit: str) -> bool:
    """True when every value the SLI can take satisfies the condition."""
    low_bound = 0.0 if unit in NON_NEGATIVE_UNITS else -math.inf
    high_bound = 1.0 if unit == "ratio" else math.inf
    if isinstance(condition, Range):
        return condition.low <= low_bound and condition.high >= high_bound
    if condition.op in ("<", "<="):
        return (
            condition.limit == math.inf
            or condition.limit > high_bound
            or (condition.op == "<=" and condition.limit >= high_bound)
        )
    return (
        condition.limit == -math.inf
        or condition.limit < low_bound
        or (condition.op == ">=" and condition.limit <= low_bound)
    )


def lint_rules(
    rules: RuleSet, testid: str, client: PrometheusClient | None, now: float
) -> tuple[list[Finding], list[tuple[str, str]]]:
    """(findings, [(objective, resolved query)]). Raises PrometheusUnavailable."""
    window = RunWindow(testid, "lint", now - 600.0, now - 300.0)
    measurer = Measurer(client, dict(rules.variables))
    findings: list[Finding] = []
    printed: list[tuple[str, str]] = []
    for objective in rules.objectives:

        def note(severity: str, message: str, objective: Objective = objective) -> None:
            findings.append(Finding(objective.name, objective.line, severity, message))

        try:
            queries = measurer.queries(objective, window)
            samples = measurer.samples_query(objective, window)
            live = _live_query(objective, window, dict(rules.variables))
        except UnresolvedPlaceholder as error:
            note("error", str(error))
            continue
        all_queries = [*queries, *([samples] if samples else []), *([live] if live else [])]
        printed += [(objective.name, q) for q in all_queries]
        raw = [objective.query or "", objective.samples_query or "", objective.live_query or ""]
        if any(_OR_VECTOR.search(q) for q in raw):
            note(
                "warning",
                "'or vector(...)' turns an empty result into a number: missing data can pass",
            )
        if any(_ABSENT.search(q) for q in raw):
            note(
                "warning", "absent() makes 'no data' a value: missing data can pass or mask the SLI"
            )
        unit = inferred_unit(objective, queries)
        for message in unit_findings(objective, unit, queries):
            note("warning", f"mixed units: {message}")
        for label, condition in _conditions(objective):
            if never_fails(condition, unit):
                note(
                    "warning",
                    f"{label} {condition.text!r} can never fail for a {unit or 'numeric'} SLI",
                )
        if objective.relative is not None:
            rel = objective.relative.passing
            if math.isinf(rel.limit) or (not rel.upper_bound and rel.limit <= -1.0):
                note("warning", f"relative {rel.text!r} can never fail")
        if client is not None:
            for query in all_queries:
                try:
                    client.check_syntax(query, now)
                except QueryRejected as error:
                    note("error", f"Prometheus rejects {query!r}: {error}")
    return findings, printed


def _live_query(objective: Objective, window: RunWindow, variables: dict[str, str]) -> str | None:
    if not objective.abort_on_fail:
        return None
    values = window.placeholders(variables, window=objective.live_window)
    if objective.live_query:
        text = objective.live_query
    elif objective.sli and SHORTHANDS[objective.sli].live:
        text = SHORTHANDS[objective.sli].live(selector(objective.request, objective.target))  # type: ignore[misc]
    else:
        return None
    try:
        return resolve(text, values)
    except KeyError as error:
        raise UnresolvedPlaceholder(f"unknown placeholder ${error.args[0]}") from error


def lint_command(path: Path, variables: dict[str, str], prometheus: str | None, testid: str) -> int:
    rules = load_rules(path, variables)
    print(f"{path}: schema OK, {len(rules.objectives)} objectives")
    client = PrometheusClient(prometheus) if prometheus else None
    try:
        findings, printed = lint_rules(rules, testid, client, time.time())
    except PrometheusUnavailable as error:
        print(f"perfstack: error: {error}")
        return int(ExitCode.PROMETHEUS_UNAVAILABLE)
    finally:
        if client is not None:
            client.close()
    for name, query in printed:
        print(f"  {name}: {query}")
    for finding in findings:
        print(str(finding))
    if any(f.severity == "error" for f in findings):
        return int(ExitCode.USAGE)
    if findings:
        return int(ExitCode.GATE_FAIL)
    print("no findings" + ("" if prometheus else " (queries not checked: give --prometheus URL)"))
    return int(ExitCode.OK)
