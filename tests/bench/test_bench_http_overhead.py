from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_http_overhead
from bench_http_overhead import steady_window


def test_the_steady_window_is_returned_when_it_saw_requests() -> None:
    window = {"cpu": 4.0, "user": 3.6, "system": 0.4, "requests": 40_000}
    assert steady_window("perfstack", {"steady": window}) is window


@pytest.mark.parametrize(
    "result",
    [{"steady": None}, {}, {"steady": {"cpu": 4.0, "user": 3.6, "system": 0.4, "requests": 0}}],
)
def test_a_window_that_did_not_complete_or_saw_no_request_ends_the_bench(result: dict) -> None:
    with pytest.raises(SystemExit, match="perfstack: the steady-state window did not complete"):
        steady_window("perfstack", result)


def test_too_few_windows_are_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["bench_http_overhead.py", "--windows", "2"])
    with pytest.raises(SystemExit) as exit_info:
        bench_http_overhead.main()
    assert exit_info.value.code == 2


def invocation_env(layout_seed: int | None, tmp_path: Path) -> dict[str, str]:
    _, env = bench_http_overhead.locust_invocation(
        "none", 10, "http://127.0.0.1:1", "http://127.0.0.1:2", tmp_path, 8, {},
        "bench_locustfile.py", tmp_path / "result.json", layout_seed=layout_seed,
    )  # fmt: skip
    return env


def test_a_layout_seed_reaches_the_locust_process_with_the_heap_shift_module(
    tmp_path: Path,
) -> None:
    env = invocation_env(1234, tmp_path)
    assert env["BENCH_LAYOUT_SEED"] == "1234"
    assert (Path(env["BENCH_DIR"]) / "heap_layout.py").is_file()
    assert "BENCH_LAYOUT_SEED" not in invocation_env(None, tmp_path)


def test_every_run_draws_a_new_seed_unless_the_layout_is_fixed() -> None:
    drawn = {
        bench_http_overhead.layout_seed(argparse.Namespace(fixed_layout=False)) for _ in "abcd"
    }
    assert len(drawn) == 4
    assert bench_http_overhead.layout_seed(argparse.Namespace(fixed_layout=True)) is None


def load_bench_locustfile(env: dict[str, str], tmp_path: Path) -> str:
    """Import the bench locustfile in a fresh interpreter (Locust stays out of this one) and
    print how many objects its heap shift keeps."""
    (tmp_path / "bench_locustfile.py").write_text(bench_http_overhead.LOCUSTFILE)
    program = "import bench_locustfile as f; print(len(getattr(f, 'HEAP_SHIFT', [])))"
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_bench_locustfile_shifts_its_heap_only_when_given_a_seed(tmp_path: Path) -> None:
    env = invocation_env(99, tmp_path)
    env["PYTHONPATH"] = f"{tmp_path}:{env['PYTHONPATH']}"
    assert int(load_bench_locustfile(env, tmp_path)) > 100
    del env["BENCH_LAYOUT_SEED"]
    assert load_bench_locustfile(env, tmp_path) == "0"


def test_the_share_of_the_naive_listeners_overhead_is_printed_beside_the_issues() -> None:
    assert bench_http_overhead.peer_share(0.033, 0.086) == (
        "perfstack's overhead is 0.38 of the naive listener's "
        "(the issue's 3% against about 6%: 0.50)"
    )


@pytest.mark.parametrize("naive", [0.0, -0.01])
def test_no_share_when_the_naive_listener_measured_no_cost(naive: float) -> None:
    assert bench_http_overhead.peer_share(0.02, naive).startswith(
        "no share of the naive listener's overhead"
    )


def test_too_short_a_run_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["bench_http_overhead.py", "--seconds", "5"])
    with pytest.raises(SystemExit) as exit_info:
        bench_http_overhead.main()
    assert exit_info.value.code == 2
    assert "--seconds must be at least 6" in capsys.readouterr().err
