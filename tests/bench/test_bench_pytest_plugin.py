from __future__ import annotations

import random
import re
import statistics
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_pytest_plugin
from bench_pytest_plugin import bootstrap_interval, describe, ratios, verdict, write_suite


def test_a_round_pairs_with_the_run_without_the_plugin_of_the_same_round() -> None:
    assert ratios([1.02, 2.2], [1.0, 2.0]) == pytest.approx([1.02, 1.1])
    with pytest.raises(ValueError):
        ratios([1.0], [1.0, 2.0])


def test_the_interval_holds_the_median_and_narrows_with_more_rounds() -> None:
    rng = random.Random(3)
    few = [rng.gauss(1.01, 0.03) for _ in range(12)]
    many = [rng.gauss(1.01, 0.03) for _ in range(300)]
    few_low, few_high = bootstrap_interval(few)
    many_low, many_high = bootstrap_interval(many)
    assert few_low <= statistics.median(few) <= few_high
    assert many_high - many_low < (few_high - few_low) / 2
    assert many_low < 1.01 < many_high
    with pytest.raises(ValueError):
        bootstrap_interval([1.0])


@pytest.mark.parametrize(
    ("low", "high", "said"),
    [(0.99, 1.02, "meets"), (1.021, 1.05, "MISSES"), (1.0, 1.03, "CANNOT TELL whether it meets")],
)
def test_the_verdict_compares_the_whole_interval_with_the_goal(
    low: float, high: float, said: str
) -> None:
    assert verdict(low, high) == said


def test_the_description_names_the_median_interval_rounds_and_goal() -> None:
    assert re.fullmatch(
        r"1\.000 \(90% interval 1\.000 \.\. 1\.000, 3 rounds\): meets the <= 1\.02 goal",
        describe([1.0, 1.0, 1.0]),
    )


def test_the_generated_suite_has_the_asked_number_of_tests(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", 45)
    files = sorted(suite.glob("test_generated_*.py"))
    assert len(files) == 3
    assert sum(text.count("\ndef test_") for text in (f.read_text() for f in files)) == 45


def test_a_short_bench_runs_both_variants_and_prints_the_ratio(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        sys,
        "argv",
        ["bench_pytest_plugin.py", "--rounds", "2", "--tests", "10", "--import-runs", "1"],
    )
    assert bench_pytest_plugin.main() == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"^round +\d+ +(with|without): [\d.]+ s CPU", out, re.M)) == 4
    assert re.search(r"its import alone .*: [\d.]+ ms CPU", out)
    match = re.search(r"CPU-time ratio with/without ([\d.]+) \(90% interval", out)
    assert match and 0.5 < float(match.group(1)) < 2.0, out


def test_too_few_rounds_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["bench_pytest_plugin.py", "--rounds", "1"])
    with pytest.raises(SystemExit) as exit_info:
        bench_pytest_plugin.main()
    assert exit_info.value.code == 2
    assert "--rounds must be at least 2" in capsys.readouterr().err
