"""One objective of a rule file, read strictly: its SLI or query, conditions, baseline
criterion, policies and live-gate settings. Errors name the file, line and key."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from gate.model import (
    MULTI_SERIES_CHOICES,
    NO_BASELINE_CHOICES,
    NO_DATA_CHOICES,
    OBJECTIVE_KEYS,
    RESERVED,
    Objective,
    RelativeCriterion,
)
from gate.shorthands import CORRECTED_SUFFIX, KINDS, SHORTHANDS
from gate.thresholds import Comparison, Condition, parse_condition, parse_relative
from gate.units import dimension_mismatch
from perfstack.core.durations import parse_duration
from perfstack.core.yamlnodes import Node, check_keys


def substitute_variables(text: str, variables: Mapping[str, str], node: Node) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in variables:
            raise node.error(
                f"unknown variable ${name} (define it under 'variables:' or pass --var {name}=...)"
            )
        return variables[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", replace, text)


def _check_placeholders(node: Node, variables: Mapping[str, str]) -> None:
    for match in re.finditer(r"\$\{(\w+)\}|\$(\w+)", node.scalar()):
        name = match.group(1) or match.group(2)
        if name not in RESERVED and name not in variables:
            raise node.error(
                f"unknown placeholder ${name} (run placeholders: {', '.join(RESERVED)}; "
                "user variables go under 'variables:')"
            )


def _condition(node: Node, variables: Mapping[str, str], sli_unit: str = "") -> Condition:
    text = substitute_variables(node.scalar(), variables, node)
    try:
        condition = parse_condition(text)
    except ValueError as error:
        hint = (
            " (in YAML, quote conditions that start with '>')"
            if "\n" in text or text.startswith(">")
            else ""
        )
        raise node.error(f"{error}{hint}") from error
    mismatch = dimension_mismatch(condition.unit, sli_unit)
    if mismatch is not None:
        raise node.error(f"{text!r} {mismatch}")
    return condition


def _relative(node: Node, variables: Mapping[str, str]) -> RelativeCriterion:
    def comparison(child: Node) -> Comparison:
        try:
            return parse_relative(substitute_variables(child.scalar(), variables, child))
        except ValueError as error:
            raise child.error(str(error)) from error

    if not node.is_mapping:
        return RelativeCriterion(comparison(node))
    items = node.mapping()
    check_keys(node, items, ("pass", "warn", "interval", "confidence"), required=("pass",))
    passing = comparison(items["pass"])
    warning = comparison(items["warn"]) if "warn" in items else None
    if warning is not None and warning.op[0] != passing.op[0]:
        raise items["warn"].error("must compare in the same direction as 'pass'")
    interval = _duration(items["interval"]) if "interval" in items else None
    confidence = items["confidence"].number() if "confidence" in items else 0.95
    if not 0.5 <= confidence < 1:
        raise items["confidence"].error("expected a number between 0.5 and 1 (e.g. 0.95)")
    return RelativeCriterion(passing, warning, interval, confidence)


def _duration(node: Node, allow_zero: bool = False) -> float:
    try:
        seconds = parse_duration(node.scalar(), allow_zero=True)
    except ValueError as error:
        raise node.error(str(error)) from error
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise node.error("must be positive")
    return seconds


def build_objective(
    entry: Node, defaults: Mapping[str, Node], variables: Mapping[str, str]
) -> Objective:
    items = entry.mapping()
    check_keys(entry, items, OBJECTIVE_KEYS, required=("name",))

    def pick(key: str) -> Node | None:
        return items.get(key) or defaults.get(key)

    name = items["name"].string()
    if ("sli" in items) == ("query" in items):
        raise entry.error(
            f"objective {name!r}: give exactly one of 'sli' (a built-in) or 'query' (PromQL)"
        )
    values: dict[str, object] = {"name": name, "line": entry.line}
    if "sli" in items:
        sli = items["sli"].choice(tuple(SHORTHANDS))
        shorthand = SHORTHANDS[sli]
        values.update(sli=sli, kind=shorthand.kind, unit=shorthand.unit)
        for param in ("request", "target", "benchmark"):
            if param in items:
                if param not in shorthand.params:
                    raise items[param].error(f"the {sli} SLI takes no '{param}'")
                # a benchmark is selected by its `name` label, as a request is
                field = "request" if param == "benchmark" else param
                values[field] = substitute_variables(items[param].string(), variables, items[param])
        if "corrected" in items and items["corrected"].boolean():
            corrected = sli + CORRECTED_SUFFIX
            if corrected not in SHORTHANDS:
                raise items["corrected"].error(
                    f"the {sli} SLI has no corrected form (latency_p50..latency_max have)"
                )
            values["sli"] = corrected
        for key in ("samples_query",):
            if key in items:
                raise items[key].error(
                    f"built-in SLIs count their own samples; '{key}' is for 'query'"
                )
    else:
        values["query"] = items["query"].string()
        for param in ("request", "target", "benchmark"):
            if param in items:
                raise items[param].error(
                    f"'{param}' narrows a built-in 'sli'; write the matcher into 'query'"
                )
        if "samples_query" in items:
            values["samples_query"] = items["samples_query"].string()
        if "corrected" in items:
            raise items["corrected"].error("'corrected' applies to a built-in latency 'sli'")
    for key in ("query", "samples_query", "live_query"):
        if key in items:
            _check_placeholders(items[key], variables)
    if "kind" in items:
        values["kind"] = items["kind"].choice(KINDS)
    if "unit" in items:
        values["unit"] = items["unit"].choice(
            ("seconds", "ratio", "rps", "count", "bytes", "bytes_per_second", "")
        )
    if "pass" in items:
        values["passing"] = _condition(items["pass"], variables, str(values.get("unit", "")))
    if "warn" in items:
        if "pass" not in items:
            raise items["warn"].error("'warn' needs a 'pass' condition")
        values["warning"] = _condition(items["warn"], variables, str(values.get("unit", "")))
    if "relative" in items:
        values["relative"] = _relative(items["relative"], variables)
    if "pass" not in items and "relative" not in items:
        raise entry.error(
            f"objective {name!r}: needs 'pass' (absolute) and/or 'relative' (against a baseline)"
        )
    if (node := pick("weight")) is not None:
        weight = node.number()
        # a NaN or infinite weight makes the score NaN, and every `score <` test false
        if not math.isfinite(weight) or weight < 0:
            raise node.error(f"expected a finite number >= 0, got {node.scalar()!r}")
        values["weight"] = weight
    if "key" in items:
        values["key"] = items["key"].boolean()
    # a default min_samples applies to built-in SLIs (which count their samples) and to raw
    # queries that say what to count; elsewhere only an explicit one is an error
    explicit = items.get("min_samples")
    counted = "sli" in items or "samples_query" in items
    if (node := explicit or (defaults.get("min_samples") if counted else None)) is not None:
        values["min_samples"] = node.integer()
        if values["min_samples"] < 1:  # type: ignore[operator]
            raise node.error("must be at least 1")
    if "query" in items and int(values.get("min_samples", 1)) > 1 and "samples_query" not in items:  # type: ignore[call-overload]
        raise entry.error(
            f"objective {name!r}: min_samples on a raw query needs 'samples_query' (what to count)"
        )
    for key, choices in (
        ("on_no_data", NO_DATA_CHOICES),
        ("on_multi_series", MULTI_SERIES_CHOICES),
        ("on_no_baseline", NO_BASELINE_CHOICES),
    ):
        if (node := pick(key)) is not None:
            values[key] = node.choice(choices)
    if "abort_on_fail" in items:
        values["abort_on_fail"] = items["abort_on_fail"].boolean()
        if values["abort_on_fail"] and "pass" not in items:
            raise items["abort_on_fail"].error(
                "the live gate judges 'pass' conditions; this objective has none"
            )
    if "sustained" in items:
        if not values.get("abort_on_fail"):
            raise items["sustained"].error("'sustained' only applies with abort_on_fail: true")
        values["sustained"] = _duration(items["sustained"], allow_zero=True)
    if (node := pick("live_window")) is not None:
        values["live_window"] = _duration(node)
    if "live_query" in items:
        values["live_query"] = items["live_query"].string()
    if "scenarios" in items:
        values["scenarios"] = tuple(child.string() for child in items["scenarios"].sequence())
    if "description" in items:
        values["description"] = items["description"].string()
    return Objective(**values)  # type: ignore[arg-type]
