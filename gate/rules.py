"""Loading rule files into the model (gate.model), strictly.

`load_rules(path, variables)` validates strictly: every error names the file, the line and
the key. User variables (`variables:` in the file, overridden by `--var name=value`) are
substituted into thresholds at load time and into queries at evaluation time; the run's
own placeholders ($testid, $start, ...) only exist at evaluation time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from gate.model import (
    AGGREGATES,
    DEFAULT_LEVELS,
    RESERVED,
    BaselineSpec,
    RuleSet,
)
from gate.rule_objectives import build_objective
from gate.units import parse_quantity
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.yamlnodes import Node, check_keys, load_document, parse_document

_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
        objective = build_objective(entry, defaults, variables)
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
            raise PerfstackError(f"--var {name}: not a usable variable name", ExitCode.USAGE)
        values[name] = value
    return values


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
