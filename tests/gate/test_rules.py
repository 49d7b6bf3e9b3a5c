"""Rule files are validated strictly; every error names the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.rules import load_rules, parse_rules
from perfstack.core.errors import ExitCode, PerfstackError

GOOD = """
version: 1
name: demo
variables: {limit: 2s}
score: {pass: 90%, warn: 75%}
regression_levels: {minor: 5%, major: 20%, critical: 40%}
baseline: {last: 3, aggregate: p90}
defaults: {min_samples: 10}
objectives:
  - name: p95
    sli: latency_p95
    request: /api/items
    pass: "< $limit"
    warn: "< 3s"
    relative: {pass: "<= +10%", warn: "<= +25%", interval: 2s}
    key: true
    weight: 2
  - name: errors
    sli: error_ratio
    pass: "<= 1%"
    abort_on_fail: true
    sustained: 30s
    scenarios: [normal, peak]
  - name: cache
    query: sum(rate(hits[$range])) / sum(rate(lookups[$range]))
    unit: ratio
    pass: ">= 85%"
"""


def test_a_complete_file_loads() -> None:
    rules = parse_rules(GOOD, "good.yaml", {"limit": "1500ms"})
    p95, errors, cache = rules.objectives
    assert p95.passing is not None and p95.passing.limit == 1.5  # --var overrides the file
    assert p95.request == "/api/items" and p95.key and p95.weight == 2 and p95.min_samples == 10
    assert p95.relative is not None and p95.relative.interval == 2.0
    assert errors.sustained == 30.0 and errors.applies_to("peak") and not errors.applies_to("smoke")
    assert cache.min_samples == 1  # the default min_samples is for what counts its samples
    assert rules.score_pass == 0.9 and rules.levels["critical"] == 0.4
    assert rules.baseline is not None and rules.baseline.last == 3
    assert (p95.on_no_data, p95.on_multi_series, p95.on_no_baseline) == ("no_data", "fail", "fail")


ONE_OBJECTIVE = "objectives:\n  - name: a\n    sli: throughput\n    pass: '> 1'\n"


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        (
            "objectives:\n  - name: a\n    sli: latency_p96\n    pass: '< 1s'\n",
            "f.yaml:3: objectives[0].sli",
            "expected one of",
        ),
        (
            "objectives:\n  - name: a\n    sli: latency_p95\n    pass: '< 1s'\n    colour: red\n",
            "f.yaml:5: objectives[0].colour",
            "unknown key",
        ),
        (
            "objectives:\n  - name: a\n    sli: latency_p95\n    pass: 'fast'\n",
            "f.yaml:4: objectives[0].pass",
            "not a condition",
        ),
        (
            "objectives:\n  - name: a\n    sli: latency_p95\n",
            "f.yaml:2: objectives[0]",
            "needs 'pass'",
        ),
        (
            "objectives:\n  - name: a\n    sli: latency_p95\n    query: up\n    pass: '< 1'\n",
            "f.yaml:2: objectives[0]",
            "exactly one of",
        ),
        (
            "objectives:\n  - name: a\n    query: up{x=\"$nope\"}\n    pass: '< 1'\n",
            "f.yaml:3: objectives[0].query",
            "unknown placeholder $nope",
        ),
        (
            "objectives:\n  - name: a\n    sli: error_ratio\n    pass: '< 1%'\n    key: maybe\n",
            "f.yaml:5: objectives[0].key",
            "true or false",
        ),
        (
            "objectives:\n  - name: a\n    sli: error_ratio\n    pass: '< 1%'\n    on_no_data: ignore\n",  # noqa: E501
            "f.yaml:5: objectives[0].on_no_data",
            "no_data, fail, warn, pass",
        ),
        (
            "objectives:\n  - name: a\n    sli: error_ratio\n    pass: '< 1%'\n    relative: '<= 2s'\n",  # noqa: E501
            "f.yaml:5: objectives[0].relative",
            "not a relative criterion",
        ),
        (
            "objectives:\n  - name: a\n    sli: error_ratio\n    pass: '< 1%'\n    pass: '< 2%'\n",
            "f.yaml:5: objectives[0].pass",
            "duplicate key",
        ),
        (
            "objectives:\n  - name: a\n    sli: error_ratio\n    pass: '< 1%'\n  - name: a\n    sli: error_ratio\n    pass: '< 2%'\n",  # noqa: E501
            "f.yaml:5: objectives[1].name",
            "used twice",
        ),
        (
            "objectives:\n  - name: a\n    sli: error_ratio\n    pass: '< 1%'\n    sustained: 30s\n",  # noqa: E501
            "f.yaml:5: objectives[0].sustained",
            "abort_on_fail",
        ),
        (
            "objectives:\n  - name: a\n    query: up\n    pass: '< 1'\n    min_samples: 5\n",
            "f.yaml:2: objectives[0]",
            "samples_query",
        ),
        (
            "objectives:\n  - name: a\n    sli: throughput\n    target: x\n    pass: '> 1'\n",
            "f.yaml:4: objectives[0].target",
            "takes no 'target'",
        ),
        (
            "baseline: {file: a.json, last: 2}\nobjectives:\n  - {name: a, sli: throughput, pass: '> 1'}\n",  # noqa: E501
            "f.yaml:1: baseline",
            "exactly one",
        ),
        ("objectives: []\n", "f.yaml:1: objectives", "at least one"),
        (
            "objectives:\n  - name: a\n    sli: throughput\n    pass: > 1\n",
            "f.yaml:4",
            "invalid YAML",
        ),
        ("", "f.yaml:1", "empty"),
        *[
            (
                ONE_OBJECTIVE + f"    weight: {w}\n",
                "f.yaml:5: objectives[0].weight",
                f"expected a finite number >= 0, got {w!r}",
            )
            for w in (".nan", ".inf", "-.inf", "-1")
        ],
        (
            "defaults: {weight: .NaN}\nobjectives:\n  - {name: a, sli: throughput, pass: '> 1'}\n",
            "f.yaml:1: defaults.weight",
            "finite number",
        ),
        (
            ONE_OBJECTIVE + "    weight: !!float x\n",
            "f.yaml:5: objectives[0].weight",
            "expected a number, got 'x'",
        ),
        *[
            (
                ONE_OBJECTIVE + f"    min_samples: {n}\n",
                "f.yaml:5: objectives[0].min_samples",
                f"expected a whole number in decimal digits, got {n!r}",
            )
            for n in ("0x10", "0b101", "1:30")
        ],
        (
            ONE_OBJECTIVE + "  \x01\n",
            "f.yaml:5: ",
            "invalid YAML: non-printable character U+0001 is not allowed",
        ),
        (
            "objectives:\n  - name: a\n    sli: latency_mean\n    corrected: true\n"
            "    pass: '< 1s'\n",
            "f.yaml:4: objectives[0].corrected",
            "the latency_mean SLI has no corrected form",
        ),
        (
            "objectives:\n  - name: a\n    query: up\n    corrected: true\n    pass: '< 1'\n",
            "f.yaml:4: objectives[0].corrected",
            "'corrected' applies to a built-in latency 'sli'",
        ),
    ],
)
def test_errors_name_file_line_and_key(text: str, where: str, what: str) -> None:
    with pytest.raises(PerfstackError) as caught:
        parse_rules(text, "f.yaml")
    assert caught.value.exit_code == ExitCode.USAGE
    assert str(caught.value).startswith(where), str(caught.value)
    assert what in str(caught.value)


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(PerfstackError, match="cannot read rule file") as caught:
        load_rules(tmp_path / "nope.yaml")
    assert caught.value.exit_code == ExitCode.USAGE


def test_underscored_whole_numbers_still_load() -> None:
    text = "objectives:\n  - {name: a, sli: throughput, pass: '> 1', min_samples: 1_000}\n"
    assert parse_rules(text, "f.yaml").objectives[0].min_samples == 1000


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"objectives:\n  - name: caf\xe9\n    sli: throughput\n    pass: '> 1'\n")
    with pytest.raises(PerfstackError) as caught:
        load_rules(path)
    assert caught.value.exit_code == ExitCode.USAGE
    assert str(caught.value) == f"{path}:2: not UTF-8: byte 0xe9 at offset 25"


def test_an_unusable_variable_override_is_a_usage_error() -> None:
    with pytest.raises(PerfstackError, match="--var testid: not a usable") as caught:
        parse_rules(
            "objectives:\n  - {name: a, sli: throughput, pass: '> 1'}\n", "f", {"testid": "x"}
        )
    assert caught.value.exit_code == ExitCode.USAGE


def test_corrected_latency_reads_the_corrected_shorthand() -> None:
    rules = parse_rules(
        "objectives:\n"
        "  - {name: a, sli: latency_p99, corrected: true, pass: '< 1s', request: /x}\n"
        "  - {name: b, sli: latency_p99, corrected: false, pass: '< 1s'}\n",
        "f.yaml",
    )
    corrected, plain = rules.objectives
    assert (corrected.sli, corrected.request, plain.sli) == (
        "latency_p99_corrected",
        "/x",
        "latency_p99",
    )
