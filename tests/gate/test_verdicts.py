"""How objective verdicts combine into the gate's verdict, score and exit code."""

from __future__ import annotations

import math

from gate.model import Objective
from gate.verdicts import GateResult, ObjectiveResult, Status, overall
from perfstack.core.errors import ExitCode


def result(
    name: str, status: Status, key: bool = False, weight: float = 1.0, error_kind: str | None = None
) -> ObjectiveResult:
    return ObjectiveResult(
        Objective(name, 1, key=key, weight=weight), status, 1.0, "q", 0.0, error_kind=error_kind
    )


def gate(
    results: list[ObjectiveResult], score_pass: float | None = None, score_warn: float | None = None
) -> GateResult:
    status, score, reason = overall(results, score_pass, score_warn)
    return GateResult(
        "r.yaml",
        "r",
        "t",
        "s",
        0.0,
        1.0,
        1.0,
        results,
        status,
        score,
        score_pass,
        score_warn,
        reason=reason,
    )


def test_without_score_every_objective_must_pass() -> None:
    assert gate([result("a", Status.PASS), result("b", Status.PASS)]).status is Status.PASS
    assert gate([result("a", Status.PASS), result("b", Status.WARN)]).status is Status.WARN
    assert gate([result("a", Status.NO_DATA), result("b", Status.WARN)]).status is Status.NO_DATA
    assert gate([result("a", Status.NO_DATA), result("b", Status.FAIL)]).status is Status.FAIL


def test_score_is_weighted_with_half_credit_for_warnings() -> None:
    mixed = gate(
        [result("a", Status.PASS, weight=2), result("b", Status.WARN), result("c", Status.FAIL)]
    )
    assert mixed.score == (2 + 0.5) / 4


def test_score_thresholds_tolerate_non_key_failures() -> None:
    results = [result(str(i), Status.PASS) for i in range(9)] + [result("x", Status.FAIL)]
    assert gate(results, 0.9, 0.75).status is Status.PASS  # 90%
    results[0] = result("0", Status.FAIL)
    assert gate(results, 0.9, 0.75).status is Status.WARN  # 80%: between warn and pass
    results[1] = result("1", Status.FAIL)
    results[2] = result("2", Status.FAIL)
    assert gate(results, 0.9, 0.75).status is Status.FAIL  # 60%


def test_a_failing_key_objective_fails_whatever_the_score() -> None:
    results = [result(str(i), Status.PASS) for i in range(19)] + [
        result("key", Status.NO_DATA, key=True)
    ]
    decided = gate(results, 0.9)
    assert decided.status is Status.FAIL and "key" in decided.reason


def test_no_data_is_never_a_pass_even_with_a_good_score() -> None:
    results = [result(str(i), Status.PASS) for i in range(19)] + [result("x", Status.NO_DATA)]
    assert gate(results, 0.9).status is Status.NO_DATA


def test_exit_codes_and_their_precedence() -> None:
    assert gate([result("a", Status.PASS)]).exit_code() == ExitCode.OK
    assert gate([result("a", Status.WARN)]).exit_code() == ExitCode.OK
    assert gate([result("a", Status.WARN)]).exit_code(strict=True) == ExitCode.GATE_FAIL
    assert gate([result("a", Status.FAIL)]).exit_code() == ExitCode.GATE_FAIL
    assert gate([result("a", Status.NO_DATA)]).exit_code() == ExitCode.NO_DATA
    down = result("a", Status.ERROR, error_kind="unavailable")
    rejected = result("b", Status.ERROR, error_kind="query")
    assert gate([rejected, result("c", Status.FAIL)]).exit_code() == ExitCode.USAGE
    assert (
        gate([rejected, down, result("c", Status.FAIL)]).exit_code()
        == ExitCode.PROMETHEUS_UNAVAILABLE
    )


def test_nothing_to_judge_is_no_data() -> None:
    assert gate([]).status is Status.NO_DATA and gate([]).exit_code() == ExitCode.NO_DATA


def test_an_error_without_a_kind_never_exits_0() -> None:
    # on_multi_series: error gives ERROR from a policy, not from Prometheus
    unexplained = result("a", Status.ERROR)
    assert gate([unexplained]).status is Status.ERROR
    assert gate([unexplained, result("b", Status.PASS)]).exit_code() == ExitCode.USAGE
    assert gate([unexplained, result("b", Status.FAIL)]).exit_code() == ExitCode.USAGE


def test_a_nan_score_is_an_error_not_a_pass() -> None:
    # weights are checked when the rules load; a NaN that gets here anyway must not pass
    for weights in ((math.nan, 1.0), (math.inf, 1.0)):
        results = [
            result("a", Status.FAIL, weight=weights[0]),
            result("b", Status.PASS, weight=weights[1]),
        ]
        decided = gate(results, 0.9, 0.75)
        assert decided.status is Status.ERROR and "NaN" in decided.reason
        assert decided.exit_code() == ExitCode.USAGE
    unscored = gate([result("a", Status.PASS, weight=math.nan)])
    assert unscored.status is Status.ERROR and unscored.exit_code() == ExitCode.USAGE
