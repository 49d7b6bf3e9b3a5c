from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import pool_http_overhead
from bench_http_overhead import VARIANTS, Run, paired_ratios, save_rounds


def runs_with(rates: dict[str, list[float]]) -> dict[str, list[Run]]:
    return {
        variant: [Run(steady_rate=r, whole_rate=r * 0.99, fold_us=0.0, tick_us=0.0) for r in rs]
        for variant, rs in rates.items()
    }


def saved(tmp_path: Path, name: str, rates: dict[str, list[float]]) -> Path:
    path = tmp_path / name
    args = argparse.Namespace(seconds=8, users=10, fixed_layout=False)
    save_rounds(path, runs_with(rates), args)
    return path


RATES = {
    "none": [10_000.0, 9_000.0],
    "imported": [9_900.0, 9_000.0],
    "perfstack": [9_700.0, 8_820.0],
    "naive": [9_200.0, 8_280.0],
}


def test_rounds_pair_with_the_baseline_of_the_same_round() -> None:
    runs = runs_with(RATES)
    assert paired_ratios(runs, "perfstack") == pytest.approx([0.97, 0.98])
    assert paired_ratios(runs, "none") == [1.0, 1.0]


def test_a_saved_file_keeps_every_round_of_every_variant(tmp_path: Path) -> None:
    saved_file = json.loads(saved(tmp_path, "a.json", RATES).read_text())
    assert saved_file["setup"] == {"seconds": 8, "users": 10, "fixed_layout": False}
    assert set(saved_file["rounds"]) == set(VARIANTS)
    assert saved_file["rounds"]["perfstack"]["steady"] == [9_700.0, 8_820.0]
    assert saved_file["rounds"]["perfstack"]["whole"] == pytest.approx([9_603.0, 8_731.8])


def test_pooling_concatenates_each_invocations_own_pairs(tmp_path: Path) -> None:
    first = saved(tmp_path, "a.json", RATES)
    second = saved(
        tmp_path, "b.json", {v: [r * 0.5 for r in rs] for v, rs in RATES.items()}
    )  # a slower machine: the same ratios
    pool = pool_http_overhead.pooled([first, second])
    assert pool["perfstack"] == [pytest.approx([0.97, 0.98])] * 2
    assert pool["naive"] == [pytest.approx([0.92, 0.92])] * 2


def test_the_pooled_report_gives_the_verdict_for_perfstack_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(saved(tmp_path, f"{n}.json", RATES)) for n in "abc"]
    assert pool_http_overhead.main(files) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "steady state, 3 invocations pooled"
    perfstack = next(line for line in lines if "perfstack:" in line)
    assert "overhead 2.5% (90% interval 2.0% .. 3.0% over rounds, " in perfstack
    assert "2.0% .. 3.0% over invocations; 6 rounds in 3 invocations)" in perfstack
    assert perfstack.endswith(": meets the <= 3% goal")
    naive = next(line for line in lines if "naive:" in line)
    assert naive.endswith("8.0% .. 8.0% over invocations; 6 rounds in 3 invocations)")


def test_invocations_that_disagree_keep_the_pooled_verdict_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # rounds agree closely within each invocation, but the invocations do not: 1.5% on
    # most days, 4% on others. Resampling rounds alone calls the pool "meets".
    files = []
    for number, ratio in enumerate([0.985, 0.96, 0.985, 0.985, 0.96, 0.985]):
        rates = {variant: [10_000.0] * 8 for variant in VARIANTS}
        rates["perfstack"] = [10_000.0 * ratio] * 8
        rates["perfstack"][0] *= 1.001  # not all rounds identical
        files.append(str(saved(tmp_path, f"{number}.json", rates)))
    assert pool_http_overhead.main(files) == 0
    perfstack = next(line for line in capsys.readouterr().out.splitlines() if "perfstack:" in line)
    assert "1.5% (90% interval 1.5% .. 1.5% over rounds, " in perfstack
    assert "1.5% .. 4.0% over invocations; 48 rounds in 6 invocations)" in perfstack
    assert perfstack.endswith(": CANNOT TELL whether it meets the <= 3% goal")


def test_one_invocation_is_judged_on_its_rounds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert pool_http_overhead.main([str(saved(tmp_path, "a.json", RATES))]) == 0
    perfstack = next(line for line in capsys.readouterr().out.splitlines() if "perfstack:" in line)
    assert perfstack.endswith("over rounds; 2 rounds in 1 invocations): meets the <= 3% goal")


@pytest.mark.parametrize(
    "content",
    ["not json", '{"rounds": {}}', '{"rounds": {"none": {"steady": [1.0]}, '
     '"perfstack": {"steady": [1.0, 2.0]}}}', '{"rounds": {"none": {"steady": [0.0]}}}'],
)  # fmt: skip
def test_a_file_that_is_not_a_save_file_is_one_line_and_exit_2(
    tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert pool_http_overhead.main([str(bad)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"{bad}: not a bench_http_overhead --save file (")
    assert error.count("\n") == 1


def test_a_missing_file_is_exit_2(tmp_path: Path) -> None:
    assert pool_http_overhead.main([str(tmp_path / "absent.json")]) == 2


def test_save_into_a_missing_directory_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import bench_http_overhead

    target = tmp_path / "absent" / "rounds.json"
    monkeypatch.setattr(sys, "argv", ["bench_http_overhead.py", "--save", str(target)])
    with pytest.raises(SystemExit) as exit_info:
        bench_http_overhead.main()
    assert exit_info.value.code == 2


def test_the_committed_rounds_of_every_invocation_pool(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(
        (Path(__file__).resolve().parents[2] / "bench/saved/http-overhead").glob("*.json")
    )
    assert len(files) >= 13
    pool = pool_http_overhead.pooled(files)
    assert {len(ratios) for invocations in pool.values() for ratios in invocations} == {16}
    assert pool_http_overhead.main([str(path) for path in files]) == 0
    assert f"rounds in {len(files)} invocations)" in capsys.readouterr().out
