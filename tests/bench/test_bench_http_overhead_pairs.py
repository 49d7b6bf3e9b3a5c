from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_http_overhead_pairs
from bench_http_overhead_pairs import BASELINE, chosen_pairs, pair_orders, summary


def test_every_variant_runs_once_a_round_and_each_side_starts_first_half_the_time() -> None:
    orders = list(pair_orders(["perfstack", "naive"], rounds=4))
    assert [(round_number, variant) for round_number, variant, _ in orders] == [
        (1, "perfstack"), (1, "naive"), (2, "naive"), (2, "perfstack"),
        (3, "perfstack"), (3, "naive"), (4, "naive"), (4, "perfstack"),
    ]  # fmt: skip
    for variant in ("perfstack", "naive"):
        firsts = Counter(pair[0] for _, v, pair in orders if v == variant)
        assert firsts == {BASELINE: 2, variant: 2}
    assert all(sorted(pair) == sorted([BASELINE, v]) for _, v, pair in orders)


def test_summary_gives_perfstack_the_goals_verdict_and_the_peer_share() -> None:
    ratios = {
        "perfstack": [0.975, 0.974, 0.976, 0.973, 0.977, 0.975],
        "naive": [0.92, 0.92, 0.92, 0.92, 0.92, 0.92],
    }
    lines = summary(ratios)
    assert lines[0].strip().startswith("perfstack: cost 2.5% (90% interval 2.4% .. 2.6%")
    assert lines[0].endswith("meets the <= 3% goal")
    assert lines[1].strip() == "naive: cost 8.0% (90% interval 8.0% .. 8.0%, 6 rounds)"
    assert lines[2].startswith(
        "perfstack's overhead as a share of the naive listener's, both measured in the same "
        "rounds: 0.31 (90% interval 0.30 .. 0.33, 6 rounds): meets the <= 0.50 reference"
    )


def test_a_perfstack_cost_across_the_goal_cannot_be_told() -> None:
    lines = summary({"perfstack": [0.96, 0.98, 0.965, 0.985, 0.97, 0.975]})
    assert lines[0].endswith("CANNOT TELL whether it meets the <= 3% goal")
    assert len(lines) == 1  # no naive listener, no share


def test_a_perfstack_cost_wholly_beyond_the_goal_misses() -> None:
    lines = summary({"perfstack": [0.95, 0.955, 0.96, 0.95, 0.952, 0.958]})
    assert lines[0].endswith("MISSES the <= 3% goal")


@pytest.mark.parametrize(
    "arguments",
    [
        ["--variants", "bogus"],
        ["--variants", "none"],
        ["--variants", ","],
        ["--seconds", "6"],
        ["--rounds", "1"],
        ["--save", "/nonexistent-directory/pairs.json"],
    ],
)
def test_bad_arguments_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], arguments: list[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["bench_http_overhead_pairs.py", *arguments])
    with pytest.raises(SystemExit) as exit_info:
        bench_http_overhead_pairs.main()
    assert exit_info.value.code == 2
    assert f"{arguments[0]}" in capsys.readouterr().err.splitlines()[-1]


def test_a_variant_named_twice_is_paired_once() -> None:
    parser = argparse.ArgumentParser()
    assert chosen_pairs(parser, "perfstack,naive,perfstack,") == ["perfstack", "naive"]


def saved_pairs(path: Path, perfstack: list[float], naive: list[float]) -> Path:
    pairs = {
        "perfstack": [{"none": 10_000.0, "perfstack": 10_000.0 * r} for r in perfstack],
        "naive": [{"naive": 10_000.0 * r, "none": 10_000.0} for r in naive],
    }
    path.write_text(json.dumps({"setup": {"seconds": 12}, "pairs": pairs}))
    return path


def test_saved_pairs_are_summarised_without_running_any(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    saved = saved_pairs(tmp_path / "pairs.json", [0.97, 0.975, 0.972, 0.978], [0.92] * 4)
    monkeypatch.setattr(bench_http_overhead_pairs, "bench_services", None)  # must not start
    monkeypatch.setattr(sys, "argv", ["bench_http_overhead_pairs.py", "--from", str(saved)])
    assert bench_http_overhead_pairs.main() == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].strip().startswith("perfstack: cost 2.6% (90% interval")
    assert lines[1].strip().startswith("naive: cost 8.0%")
    assert "share of the naive listener's" in lines[2] and ": 0.33 (90% interval" in lines[2]


def test_several_saved_files_are_pooled_with_the_verdict_over_invocations(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    steady = saved_pairs(tmp_path / "a.json", [0.98, 0.981, 0.979, 0.98], [0.92] * 4)
    again = saved_pairs(tmp_path / "b.json", [0.98, 0.979, 0.981, 0.98], [0.92] * 4)
    worse = saved_pairs(tmp_path / "c.json", [0.96, 0.961, 0.959, 0.96], [0.92] * 4)

    def pooled(*files: Path) -> list[str]:
        argv = ["bench_http_overhead_pairs.py", "--from", *map(str, files)]
        monkeypatch.setattr(sys, "argv", argv)
        assert bench_http_overhead_pairs.main() == 0
        return capsys.readouterr().out.splitlines()

    lines = pooled(steady, again)
    assert lines[0].strip() == (
        "perfstack: cost 2.0% (90% interval 2.0% .. 2.0% over rounds, 2.0% .. 2.0% over "
        "invocations; 8 rounds in 2 invocations): meets the <= 3% goal"
    )
    assert lines[1].strip().startswith("naive: cost 8.0% (90% interval 8.0% .. 8.0%")
    assert ": 0.25 (90% interval" in lines[2] and "rounds of 2 invocations" in lines[2]
    # the rounds agree within each file, the files do not: only the interval over
    # invocations shows it, and the verdict follows that one
    lines = pooled(steady, worse, again)
    assert "over rounds, 2.0% .. 4.0% over invocations; 12 rounds in 3" in lines[0]
    assert lines[0].endswith("CANNOT TELL whether it meets the <= 3% goal")


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"setup": {}}),
        json.dumps({"pairs": {"perfstack": [{"perfstack": 9000.0}] * 3}}),
        json.dumps({"pairs": {"perfstack": [{"perfstack": 0.0, "none": 9000.0}] * 3}}),
        json.dumps({"pairs": {"perfstack": [{"perfstack": 9000.0, "none": 9000.0}]}}),
        json.dumps({"pairs": []}),
    ],
)
def test_a_file_not_saved_by_save_is_a_usage_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    content: str,
) -> None:
    saved = tmp_path / "pairs.json"
    saved.write_text(content)
    monkeypatch.setattr(sys, "argv", ["bench_http_overhead_pairs.py", "--from", str(saved)])
    with pytest.raises(SystemExit) as exit_info:
        bench_http_overhead_pairs.main()
    assert exit_info.value.code == 2
    assert f"--from {saved}: expected pairs saved by --save" in capsys.readouterr().err
