"""The Verdict the fixtures hand to tests: passes exactly when `gate check` would exit 0.
Results are built by hand here for the verdicts a real run cannot be made to give on
demand (ERROR, a WARN); the fixtures' tests judge real runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.model import Objective
from gate.verdicts import GateResult, ObjectiveResult, Status, overall
from perfstack.core.errors import PerfstackError
from perfstack.pytest_plugin import verdict as verdict_module
from perfstack.pytest_plugin.verdict import SUMMARY_LIMIT, Verdict, gate_check_args


def result(*statuses: Status, name: str = "p95 latency", reason: str = "") -> GateResult:
    entries = [
        ObjectiveResult(
            Objective(f"{name} {i}", line=i), status, 0.2, "q", 0.0, reason=reason or "why"
        )
        for i, status in enumerate(statuses)
    ]
    status, score, why = overall(entries, None, None)
    return GateResult("rules.yaml", "rules", "run-1", "adhoc", 0.0, 10.0, 15.0, entries,
                      status, score, None, None, reason=why)  # fmt: skip


@pytest.mark.parametrize(
    ("statuses", "strict", "passed"),
    [
        ((Status.PASS,), False, True),
        ((Status.PASS, Status.WARN), False, True),
        ((Status.PASS, Status.WARN), True, False),
        ((Status.PASS, Status.FAIL), False, False),
        ((Status.PASS, Status.NO_DATA), False, False),  # no data is never a pass
        ((Status.PASS, Status.ERROR), False, False),
        ((), False, False),  # nothing judged
    ],
)
def test_a_verdict_passes_only_where_the_gate_exits_0(
    statuses: tuple[Status, ...], strict: bool, passed: bool
) -> None:
    verdict = Verdict(result(*statuses), strict)
    assert verdict.passed is passed
    assert (verdict.exit_code == 0) is passed


def test_the_repr_names_the_verdict_and_every_objective_that_did_not_pass() -> None:
    text = repr(Verdict(result(Status.PASS, Status.FAIL, reason="270ms against pass < 150ms")))
    assert text.startswith("<Verdict gate FAIL for run-1 (objective(s) failed)")
    assert "p95 latency 1 FAIL: 270ms against pass < 150ms" in text
    assert "p95 latency 0" not in text  # passed: not a reason


def test_the_summary_stays_short_enough_for_pytests_assertion_story() -> None:
    many = Verdict(result(*[Status.FAIL] * 30, reason="x" * 40))
    assert len(many.summary) == SUMMARY_LIMIT
    assert many.summary.endswith("...")


def test_a_bad_gate_flag_is_one_line_naming_it() -> None:
    with pytest.raises(PerfstackError) as error:
        gate_check_args(["--rules", "r.yaml", "--settle", "soon"])
    assert error.value.exit_code == 2
    assert "--settle" in error.value.message
    assert "\n" not in error.value.message


def test_strict_among_the_gate_flags_fails_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("objectives:\n  - {name: p95, sli: latency_p95, pass: '< 1s'}\n")
    warned = result(Status.PASS, Status.WARN)
    monkeypatch.setattr(verdict_module, "evaluate_from_args", lambda args, rules: warned)
    argv = ["--rules", str(rules), "--testid", "run-1", "--state-dir", str(tmp_path), "--no-push"]
    assert verdict_module.judge(argv).passed
    assert not verdict_module.judge([*argv, "--strict"]).passed
    assert "verdict: WARN" in verdict_module.judge(argv).explanation
