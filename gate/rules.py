"""The rule file model: objectives, thresholds, baseline and score settings.

`load_rules(path, variables)` validates strictly: every error names the file, the line and
the key. User variables (`variables:` in the file, overridden by `--var name=value`) are
substituted into thresholds at load time and into queries at evaluation time; the run's
own placeholders ($testid, $start, ...) only exist at evaluation time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gate.shorthands import KINDS, SHORTHANDS
from gate.thresholds import Comparison, Condition, parse_condition, parse_relative
from gate.units import parse_duration, parse_quantity
from gate.yamlnodes import Node, check_keys, load_document, parse_document

NO_DATA_CHOICES = ("no_data", "fail", "warn", "pass")
MULTI_SERIES_CHOICES = ("fail", "worst", "error")
NO_BASELINE_CHOICES = ("fail", "no_data", "warn", "ignore")
AGGREGATES = ("mean", "median", "p90")
DEFAULT_LEVELS = {"minor": 0.10, "major": 0.25, "critical": 0.50}
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED = ("testid", "scenario", "start", "end", "duration", "duration_seconds", "range", "window")

OBJECTIVE_KEYS = (
    "name",
    "description",
    "sli",
    "query",
    "request",
    "target",
    "kind",
    "unit",
    "pass",
    "warn",
    "relative",
    "weight",
    "key",
    "min_samples",
    "samples_query",
    "on_no_data",
    "on_multi_series",
    "on_no_baseline",
    "abort_on_fail",
    "sustained",
    "live_window",
    "live_query",
    "scenarios",
)


@dataclass(frozen=True)
class RelativeCriterion:
    passing: Comparison
    warning: Comparison | None = None
    interval: float | None = None  # seconds per interval for latency confidence intervals
    confidence: float = 0.95


@dataclass(frozen=True)
class Objective:
    name: str
    line: int
    sli: str | None = None
    query: str | None = None
    request: str | None = None
    target: str | None = None
    kind: str = "other"
    unit: str = ""
    passing: Condition | None = None
    warning: Condition | None = None
    relative: RelativeCriterion | None = None
    weight: float = 1.0
    key: bool = False
    min_samples: int = 1
    samples_query: str | None = None
    on_no_data: str = "no_data"
    on_multi_series: str = "fail"
    on_no_baseline: str = "fail"
    abort_on_fail: bool = False
    sustained: float = 0.0
    live_window: float = 10.0
    live_query: str | None = None
    scenarios: tuple[str, ...] = ()
    description: str = ""

    def applies_to(self, scenario: str) -> bool:
        return not self.scenarios or scenario in self.scenarios


@dataclass(frozen=True)
class BaselineSpec:
    file: str | None = None
    testid: str | None = None
    last: int | None = None
    aggregate: str = "median"


@dataclass(frozen=True)
class RuleSet:
    path: str
    name: str
    objectives: tuple[Objective, ...]
    variables: Mapping[str, str] = field(default_factory=dict)
    score_pass: float | None = None
    score_warn: float | None = None
    levels: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_LEVELS))
    baseline: BaselineSpec | None = None


def load_rules(path: Path, overrides: Mapping[str, str] | None = None) -> RuleSet:
    return build_rules(load_document(path), overrides or {})


def parse_rules(
    text: str, file: str = "<rules>", overrides: Mapping[str, str] | None = None
) -> RuleSet:
    return build_rules(parse_document(text, file), overrides or {})


def build_rules(root: Node, overrides: Mapping[str, str]) -> RuleSet:
    items = root.mapping()
    check_keys(
        root,
        items,
        (
            "version",
            "name",
            "description",
            "variables",
            "score",
            "regression_levels",
            "baseline",
            "defaults",
            "objectives",
        ),
        required=("objectives",),
    )
    if "version" in items and items["version"].integer() != 1:
        raise items["version"].error("only version 1 is known")
    variables = _variables(items.get("variables"), overrides)
    levels = (
        _levels(items["regression_levels"])
        if "regression_levels" in items
        else dict(DEFAULT_LEVELS)
    )
    defaults = items["defaults"].mapping() if "defaults" in items else {}
    if "defaults" in items:
        check_keys(
            items["defaults"],
            defaults,
            (
                "weight",
                "min_samples",
                "on_no_data",
                "on_multi_series",
                "on_no_baseline",
                "live_window",
            ),
        )
    objectives = []
    names: set[str] = set()
    entries = items["objectives"].sequence()
    if not entries:
        raise items["objectives"].error("needs at least one objective")
    for entry in entries:
        objective = _objective(entry, defaults, variables)
        if objective.name in names:
            raise entry.mapping()["name"].error(f"objective name {objective.name!r} is used twice")
        names.add(objective.name)
        objectives.append(objective)
    score_pass, score_warn = _score(items.get("score"))
    return RuleSet(
        path=root.file,
        name=items["name"].string() if "name" in items else Path(root.file).stem,
        objectives=tuple(objectives),
        variables=variables,
        score_pass=score_pass,
        score_warn=score_warn,
        levels=levels,
        baseline=_baseline(items["baseline"]) if "baseline" in items else None,
    )


def _variables(node: Node | None, overrides: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, child in (node.mapping() if node else {}).items():
        if not _VARIABLE_NAME.match(name) or name in RESERVED:
            raise child.error(
                f"variable names are identifiers and not one of {', '.join(RESERVED)}"
            )
        values[name] = child.scalar()
    for name, value in overrides.items():
        if not _VARIABLE_NAME.match(name) or name in RESERVED:
            raise ValueError(f"--var {name}: not a usable variable name")
        values[name] = value
    return values


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


def _condition(node: Node, variables: Mapping[str, str]) -> Condition:
    text = substitute_variables(node.scalar(), variables, node)
    try:
        return parse_condition(text)
    except ValueError as error:
        hint = (
            " (in YAML, quote conditions that start with '>')"
            if "\n" in text or text.startswith(">")
            else ""
        )
        raise node.error(f"{error}{hint}") from error


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
        seconds = parse_duration(node.scalar())
    except ValueError as error:
        raise node.error(str(error)) from error
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise node.error("must be positive")
    return seconds


def _objective(
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
        for param in ("request", "target"):
            if param in items:
                if param not in shorthand.params:
                    raise items[param].error(f"the {sli} SLI takes no '{param}'")
                values[param] = substitute_variables(items[param].string(), variables, items[param])
        for key in ("samples_query",):
            if key in items:
                raise items[key].error(
                    f"built-in SLIs count their own samples; '{key}' is for 'query'"
                )
    else:
        values["query"] = items["query"].string()
        for param in ("request", "target"):
            if param in items:
                raise items[param].error(
                    f"'{param}' narrows a built-in 'sli'; write the matcher into 'query'"
                )
        if "samples_query" in items:
            values["samples_query"] = items["samples_query"].string()
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
        values["passing"] = _condition(items["pass"], variables)
    if "warn" in items:
        if "pass" not in items:
            raise items["warn"].error("'warn' needs a 'pass' condition")
        values["warning"] = _condition(items["warn"], variables)
    if "relative" in items:
        values["relative"] = _relative(items["relative"], variables)
    if "pass" not in items and "relative" not in items:
        raise entry.error(
            f"objective {name!r}: needs 'pass' (absolute) and/or 'relative' (against a baseline)"
        )
    if (node := pick("weight")) is not None:
        weight = node.number()
        if weight < 0:
            raise node.error("must not be negative")
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


def _levels(node: Node) -> dict[str, float]:
    items = node.mapping()
    check_keys(node, items, tuple(DEFAULT_LEVELS), required=tuple(DEFAULT_LEVELS))
    levels = {}
    for name, child in items.items():
        levels[name] = _fraction(child)
    if not levels["minor"] < levels["major"] < levels["critical"]:
        raise node.error("expected minor < major < critical")
    return levels


def _fraction(node: Node) -> float:
    try:
        value, unit = parse_quantity(node.scalar())
    except ValueError as error:
        raise node.error(str(error)) from error
    if unit not in ("%", "") or value < 0:
        raise node.error("expected a percentage like 10% (or a fraction like 0.1)")
    return value


def _score(node: Node | None) -> tuple[float | None, float | None]:
    if node is None:
        return None, None
    items = node.mapping()
    check_keys(node, items, ("pass", "warn"), required=("pass",))
    score_pass = _fraction(items["pass"])
    score_warn = _fraction(items["warn"]) if "warn" in items else None
    if score_pass > 1 or (score_warn is not None and not score_warn <= score_pass):
        raise node.error("expected pass <= 100% and warn <= pass")
    return score_pass, score_warn


def _baseline(node: Node) -> BaselineSpec:
    items = node.mapping()
    check_keys(node, items, ("file", "testid", "last", "aggregate"))
    sources = [key for key in ("file", "testid", "last") if key in items]
    if len(sources) != 1:
        raise node.error("give exactly one of 'file', 'testid' or 'last'")
    last = items["last"].integer() if "last" in items else None
    if last is not None and last < 1:
        raise items["last"].error("must be at least 1")
    return BaselineSpec(
        file=items["file"].string() if "file" in items else None,
        testid=items["testid"].string() if "testid" in items else None,
        last=last,
        aggregate=items["aggregate"].choice(AGGREGATES) if "aggregate" in items else "median",
    )
