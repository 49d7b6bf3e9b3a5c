"""`perfstack gate lint` catches each pattern that hides failures, and asks Prometheus to
parse every resolved query."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfstack.testing import free_port
from tests.gate.conftest import write_rules

CLEAN = """
objectives:
  - {name: p95, sli: latency_p95, pass: "< 500ms"}
  - name: cache
    query: sum(increase(hits_total{job="$job"}[$range])) / sum(increase(lookups_total[$range]))
    unit: ratio
    pass: ">= 85%"
variables: {job: demo}
"""


def lint(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> tuple[int, str]:
    from perfstack.cli import main

    code = main(["gate", "lint", str(path), *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_clean_file_prints_every_resolved_query(tmp_path: Path, stack, capsys) -> None:
    code, out = lint(capsys, write_rules(tmp_path, CLEAN), "--prometheus", stack.prometheus_url)
    assert code == 0, out
    assert 'sum(increase(hits_total{job="demo"}[305s]))' in out  # placeholders resolved
    assert (
        'histogram_quantile(0.95, sum by (le) (last_over_time(loadgen_http_request_duration_seconds_bucket{testid="lint-testid"}'  # noqa: E501
        in out
    )
    assert "no findings" in out


@pytest.mark.parametrize(
    ("objective", "finding"),
    [
        (
            "{name: a, query: 'sum(rate(errors_total[5m])) or vector(0)', pass: '< 1'}",
            "'or vector(...)'",
        ),
        ("{name: a, query: 'sum(x) or on() vector(0)', pass: '< 1'}", "'or vector(...)'"),
        ("{name: a, query: 'absent(up{job=\"api\"})', pass: '< 1'}", "absent()"),
        ("{name: a, sli: latency_p95, pass: '< 500'}", "mixed units"),
        (
            "{name: a, query: 'histogram_quantile(0.95, sum by (le) (rate(h_seconds_bucket[5m]))) * 1000', pass: '< 500ms'}",  # noqa: E501
            "multiplies by 1000",
        ),
        ("{name: a, sli: error_ratio, pass: '< 5'}", "did you mean 5%"),
        ("{name: a, sli: memory_growth, pass: '< 500'}", "did you mean 500MB"),
        ("{name: a, sli: error_ratio, pass: '<= 100%'}", "can never fail"),
        ("{name: a, sli: latency_p95, pass: '>= 0s'}", "can never fail"),
        ("{name: a, sli: throughput, pass: '< inf'}", "can never fail"),
        ("{name: a, sli: throughput, pass: '> 1', warn: '> -1'}", "warn '> -1' can never fail"),
    ],
)
def test_each_bad_pattern_is_reported(tmp_path: Path, capsys, objective: str, finding: str) -> None:
    code, out = lint(capsys, write_rules(tmp_path, f"objectives:\n  - {objective}\n"))
    assert code == 1, out
    assert "warning: line 2: a:" in out and finding in out


def test_prometheus_rejects_a_query(tmp_path: Path, stack, capsys) -> None:
    path = write_rules(tmp_path, "objectives:\n  - {name: a, query: 'rate(x[5m]', pass: '< 1'}\n")
    code, out = lint(capsys, path, "--prometheus", stack.prometheus_url)
    assert code == 2
    assert "error: line 2: a: Prometheus rejects 'rate(x[5m]'" in out


def test_unreachable_prometheus(tmp_path: Path, capsys) -> None:
    code, _ = lint(
        capsys, write_rules(tmp_path, CLEAN), "--prometheus", f"http://127.0.0.1:{free_port()}"
    )
    assert code == 4


def test_schema_errors_exit_2(tmp_path: Path, capsys) -> None:
    code, out = lint(
        capsys, write_rules(tmp_path, "objectives:\n  - {name: a, sli: nope, pass: '< 1'}\n")
    )
    assert code == 2
    assert "rules.yaml:2: objectives[0].sli: expected one of" in out


@pytest.mark.parametrize(
    ("content", "where", "what"),
    [
        (
            b"objectives:\n  - {name: a, sli: throughput, pass: '> 1'}\n  \x01\n",
            ":3: ",
            "invalid YAML: non-printable character U+0001 is not allowed",
        ),
        (
            b"objectives:\n  - {name: caf\xe9, sli: throughput, pass: '> 1'}\n",
            ":2: ",
            "not UTF-8: byte 0xe9 at offset 26",
        ),
        (
            b"objectives:\n  - {name: a, sli: throughput, pass: '> 1', min_samples: 0x10}\n",
            ":2: objectives[0].min_samples: ",
            "expected a whole number in decimal digits, got '0x10'",
        ),
    ],
)
def test_unreadable_rule_files_are_one_line_errors_exit_2(
    tmp_path: Path, capsys, content: bytes, where: str, what: str
) -> None:
    from perfstack.cli import main

    path = tmp_path / "rules.yaml"
    path.write_bytes(content)
    check = ["gate", "check", str(path), "--testid", "x", "--state-dir", str(tmp_path)]
    for command in (["gate", "lint", str(path)], [*check, "--no-push"]):
        assert main(command) == 2
        captured = capsys.readouterr()
        assert captured.err == f"perfstack: error: {path}{where}{what}\n", command
