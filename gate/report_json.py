"""The gate's result as JSON (`--json FILE`, and the history the last-N baseline reads).

Shape (documented in docs/gate.md, checked by tests/gate/test_report_json.py):
top level `schema`, `status`, `exit_code`, `score`, `testid`, `scenario`, `rules`,
`window`, `baseline`, `reason`, `skipped` (names), `skip_reasons` ({name: why}),
`objectives[]`; each objective `name`, `kind`,
`sli`, `status`, `value`, `unit`, `threshold`, `samples`, `min_samples`, `query`, `source`,
`evaluated_at`, `series[]`, `baseline`, `intervals`, `reason`, `recommendation`.
Non-finite numbers are written as the strings "NaN", "+Inf", "-Inf" (JSON has no NaN).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from gate.recommendations import recommend
from gate.verdicts import GateResult, ObjectiveResult

SCHEMA = "perfstack.gate.result/1"


def number(value: float | None) -> float | str | None:
    if value is None:
        return None
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return value


def objective_json(entry: ObjectiveResult) -> dict[str, Any]:
    objective = entry.objective
    baseline = entry.baseline
    return {
        "name": objective.name,
        "kind": objective.kind,
        "sli": objective.sli,
        "status": str(entry.status),
        "key": objective.key,
        "weight": objective.weight,
        "value": number(entry.value),
        "unit": objective.unit,
        "threshold": {
            "pass": objective.passing.text if objective.passing else None,
            "warn": objective.warning.text if objective.warning else None,
            "relative": objective.relative.passing.text if objective.relative else None,
        },
        "samples": entry.samples,
        "min_samples": objective.min_samples,
        "query": entry.query,
        "source": entry.source,
        "evaluated_at": entry.evaluated_at,
        "series": [{"labels": s.labels, "value": number(s.value)} for s in entry.series],
        "baseline": None
        if baseline is None
        else {
            "source": baseline.source,
            "value": number(baseline.value),
            "relative_change": number(baseline.change),
            "ci": [number(baseline.ci[0]), number(baseline.ci[1])] if baseline.ci else None,
            "method": baseline.method,
            "level": baseline.level,
            "status": str(baseline.status),
            "reason": baseline.reason,
        },
        "intervals": [v for v in entry.intervals if math.isfinite(v)],
        "reason": entry.reason,
        "error_kind": entry.error_kind,
        "recommendation": recommend(entry),
    }


def result_json(result: GateResult, strict: bool = False) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "status": str(result.status),
        "exit_code": int(result.exit_code(strict)),
        "score": result.score,
        "score_thresholds": {"pass": result.score_pass, "warn": result.score_warn},
        "testid": result.testid,
        "scenario": result.scenario,
        "rules": {"path": result.rules_path, "name": result.rules_name},
        "window": {"start": result.start, "end": result.end, "evaluated_at": result.evaluated_at},
        "baseline": result.baseline_source,
        "reason": result.reason,
        "skipped": [skipped.name for skipped in result.skipped],
        "skip_reasons": {skipped.name: skipped.reason for skipped in result.skipped},
        "objectives": [objective_json(entry) for entry in result.objectives],
    }


def write_json(result: GateResult, path: Path, strict: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result_json(result, strict), indent=2) + "\n", encoding="utf-8")
