"""The JSON result's documented shape (docs/gate.md, "JSON output")."""

from __future__ import annotations

import json
from pathlib import Path

from gate.report_json import SCHEMA, write_json

TOP_LEVEL = {
    "schema",
    "status",
    "exit_code",
    "score",
    "score_thresholds",
    "testid",
    "scenario",
    "rules",
    "window",
    "baseline",
    "reason",
    "skipped",
    "skip_reasons",
    "objectives",
}
OBJECTIVE = {
    "name",
    "kind",
    "sli",
    "status",
    "key",
    "weight",
    "value",
    "unit",
    "threshold",
    "samples",
    "min_samples",
    "query",
    "source",
    "evaluated_at",
    "series",
    "baseline",
    "intervals",
    "reason",
    "error_kind",
    "recommendation",
}


def test_json_shape_and_values(mixed_result, tmp_path: Path) -> None:
    path = tmp_path / "gate.json"
    write_json(mixed_result, path)
    data = json.loads(path.read_text())
    assert set(data) == TOP_LEVEL
    assert data["schema"] == SCHEMA
    assert data["status"] == "ERROR" and data["exit_code"] == 2
    assert data["testid"] == mixed_result.testid
    assert abs(data["window"]["end"] - data["window"]["start"] - 20.0) < 1e-6
    by_name = {entry["name"]: entry for entry in data["objectives"]}
    for entry in data["objectives"]:
        assert set(entry) == OBJECTIVE
    assert [
        by_name[n]["status"]
        for n in ("requests", "throughput", "errors", "ws rtt", "broken | pipe")
    ] == ["PASS", "WARN", "FAIL", "NO_DATA", "ERROR"]
    assert by_name["requests"]["value"] == 500.0
    assert by_name["errors"]["value"] == 0.1 and by_name["errors"]["threshold"]["pass"] == "< 1%"
    assert by_name["errors"]["recommendation"].startswith("Errors over target")
    assert by_name["ws rtt"]["value"] is None
    assert by_name["broken | pipe"]["error_kind"] == "query"
    relative = by_name["vs baseline"]["baseline"]
    assert relative["value"] == 1000.0 and relative["relative_change"] == -0.5
    # exactly 50% down is still "major": critical is strictly over 50% (seed 003)
    assert relative["level"] == "major" and relative["status"] == "FAIL"
    assert by_name["vs baseline"]["status"] == "FAIL"
    assert by_name["requests"]["evaluated_at"] == data["window"]["evaluated_at"]
