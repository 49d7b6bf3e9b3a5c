"""Cost of perfstack's pytest plugin when it is installed but not switched on (no
`--perfstack`): a generated 200-test suite run by pytest with and without the plugin's two
modules loaded, timed in one invocation. Goal (installing perfstack must not slow anyone's
test run): with / without <= 1.02.

Both variants block the entry points by name (`-p no:perfstack -p no:perfstack_fixtures`),
so what the environment has installed does not matter; "with" then loads the modules the
entry points name (`-p perfstack.pytest_plugin.plugin -p perfstack.pytest_plugin.fixtures`),
exactly what an installed perfstack adds to a run: their import, hook and fixture
registration, markers, options and whatever their hooks do per test while switched off.
Every other plugin the environment has (pytest-benchmark, pytest-timeout, ...) loads in
both, as it would for a user.

A run is a fresh `python -m pytest` process; its figure is the process's CPU time (user +
system, from the kernel's accounting of the waited child), the time the run costs whatever
else the machine does. Wall time is printed beside it: on a quiet machine the two are
close (pytest runs on one thread), on a shared one wall time mostly measures the
neighbours. Variants alternate within each round, the order rotating, and each round's
ratio pairs runs made back to back; the median ratio gets a percentile-bootstrap interval
over rounds (seeded, so the same rounds print the same interval).

Under a heavy machine load a run's CPU time itself swings by 10% or more, which buries a
cost of a few milliseconds; two more figures help read such a bench: the ratio of each
variant's fastest run (the least disturbed), and the CPU time of the two modules' import
in fresh processes (the part of the cost that does not grow with the suite; what grows
with it is one hook wrapper per test phase that finds no session and returns).

    .venv/bin/python bench/bench_pytest_plugin.py [--rounds 20] [--tests 200]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

GOAL = 1.02
CONFIDENCE = 0.90
RESAMPLES = 10_000
SEED = 20_221
ROUNDING = 1e-9
BLOCK = ["-p", "no:perfstack", "-p", "no:perfstack_fixtures"]
LOAD = ["-p", "perfstack.pytest_plugin.plugin", "-p", "perfstack.pytest_plugin.fixtures"]
VARIANTS = {"without": BLOCK, "with": BLOCK + LOAD}
# the markers the seeds' suites use, registered by the suite itself as they do today
# (pytest.ini): the plugin registers the same ones, and --strict-markers passes either way
MARKERS = ("performance", "load_test", "websocket_test", "memory_test", "slow", "regression")


@dataclass(frozen=True)
class Timing:
    cpu: float
    wall: float


def write_suite(directory: Path, tests: int) -> Path:
    """A suite like the seeds': plain tests, parametrized ones, marked ones, a fixture,
    spread over files of 20. Each test does a little work so a run is not all start-up."""
    directory.mkdir(parents=True, exist_ok=True)
    markers = "\n".join(f"    {marker}: from the suite's own pytest.ini" for marker in MARKERS)
    (directory / "pytest.ini").write_text(
        f"[pytest]\naddopts = --strict-markers\nmarkers =\n{markers}\n", encoding="utf-8"
    )
    (directory / "conftest.py").write_text(
        "import pytest\n\n\n@pytest.fixture\ndef payload():\n"
        "    return {str(i): i for i in range(100)}\n",
        encoding="utf-8",
    )
    per_file, written = 20, 0
    for number in range((tests + per_file - 1) // per_file):
        count = min(per_file, tests - written)
        lines = ["import pytest", ""]
        for index in range(count):
            marker = MARKERS[(written + index) % len(MARKERS)]
            if index % 5 == 4:  # a parametrized test counts as its two cases
                lines += [
                    f"@pytest.mark.{marker}",
                    '@pytest.mark.parametrize("n", [3])',
                    f"def test_case_{index}(payload, n):",
                    "    assert sum(sorted(payload.values())[:n]) == n * (n - 1) // 2",
                    "",
                ]
            else:
                lines += [
                    f"@pytest.mark.{marker}",
                    f"def test_case_{index}(payload):",
                    f"    assert payload[{str(index % 100)!r}] == {index % 100}",
                    "",
                ]
        (directory / f"test_generated_{number:03d}.py").write_text(
            "\n".join(lines), encoding="utf-8"
        )
        written += count
    return directory


def pytest_command(suite: Path, variant: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *VARIANTS[variant],
            str(suite)]  # fmt: skip


def run_once(suite: Path, variant: str, expected: int) -> Timing:
    """One pytest run; CPU time from the kernel's accounting of waited children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        pytest_command(suite, variant), cwd=suite, capture_output=True, text=True, timeout=300
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or f"{expected} passed" not in done.stdout:
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise SystemExit(f"{variant}: pytest exited {done.returncode}: {' | '.join(tail)}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(cpu=cpu, wall=wall)


IMPORT_PROGRAM = """
import time
import pytest
started = time.process_time()
import perfstack.pytest_plugin.plugin, perfstack.pytest_plugin.fixtures
print(time.process_time() - started)
"""


def import_cost(times: int = 7) -> float:
    """CPU seconds the two modules' import takes in a fresh process that already imported
    pytest (median of `times`): the part of the cost that does not depend on the suite."""
    costs = []
    for _ in range(times):
        done = subprocess.run(
            [sys.executable, "-c", IMPORT_PROGRAM], capture_output=True, text=True, check=True,
            timeout=60,
        )  # fmt: skip
        costs.append(float(done.stdout))
    return statistics.median(costs)


def rotated_rounds(variants: Sequence[str], rounds: int) -> Iterator[tuple[int, list[str]]]:
    for number in range(1, rounds + 1):
        shift = (number - 1) % len(variants)
        yield number, [*variants[shift:], *variants[:shift]]


def ratios(with_plugin: Sequence[float], without: Sequence[float]) -> list[float]:
    """Each round's time with the plugin over the time without it in the same round."""
    return [a / b for a, b in zip(with_plugin, without, strict=True)]


def bootstrap_interval(
    values: Sequence[float], confidence: float = CONFIDENCE, resamples: int = RESAMPLES
) -> tuple[float, float]:
    """(low, high) of the median ratio at `confidence`, resampling whole rounds."""
    if len(values) < 2:
        raise ValueError("a bootstrap interval needs at least two rounds")
    rounds, rng = list(values), random.Random(SEED)
    medians = sorted(
        statistics.median(rng.choices(rounds, k=len(rounds))) for _ in range(resamples)
    )
    tail, last = (1.0 - confidence) / 2.0, len(medians) - 1
    return medians[int(tail * last)], medians[round((1.0 - tail) * last)]


def verdict(low: float, high: float, goal: float = GOAL) -> str:
    if high <= goal + ROUNDING:
        return "meets"
    if low > goal + ROUNDING:
        return "MISSES"
    return "CANNOT TELL whether it meets"


def describe(values: Sequence[float], goal: float = GOAL) -> str:
    """'1.004 (90% interval 0.991 .. 1.012, 12 rounds): meets the <= 1.02 goal'."""
    low, high = bootstrap_interval(values)
    return (
        f"{statistics.median(values):.3f} ({CONFIDENCE:.0%} interval {low:.3f} .. {high:.3f}, "
        f"{len(values)} rounds): {verdict(low, high, goal)} the <= {goal:.2f} goal"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument(
        "--import-runs", type=int, default=7, help="fresh processes timing the import"
    )
    args = parser.parse_args()
    if args.rounds < 2:
        parser.error("--rounds must be at least 2 (the interval resamples rounds)")
    if args.tests < 1:
        parser.error("--tests must be at least 1")
    timings: dict[str, list[Timing]] = {variant: [] for variant in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="bench-pytest-plugin-") as workdir:
        suite = write_suite(Path(workdir) / "suite", args.tests)
        for variant in VARIANTS:  # warm the page cache and the bytecode of both variants
            run_once(suite, variant, args.tests)
        for number, order in rotated_rounds(list(VARIANTS), args.rounds):
            for variant in order:
                timing = run_once(suite, variant, args.tests)
                timings[variant].append(timing)
                print(
                    f"round {number:2d} {variant:>7}: {timing.cpu:.3f} s CPU, "
                    f"{timing.wall:.3f} s wall",
                    flush=True,
                )
    cpu = ratios([t.cpu for t in timings["with"]], [t.cpu for t in timings["without"]])
    wall = ratios([t.wall for t in timings["with"]], [t.wall for t in timings["without"]])
    for variant, runs in timings.items():
        print(
            f"{variant:>7} the plugin: median {statistics.median(t.cpu for t in runs):.3f} s CPU, "
            f"{statistics.median(t.wall for t in runs):.3f} s wall ({args.tests} tests)"
        )
    added = [a.cpu - b.cpu for a, b in zip(timings["with"], timings["without"], strict=True)]
    imported = import_cost(max(1, args.import_runs))
    base = statistics.median(t.cpu for t in timings["without"])
    print(f"CPU time the plugin adds per run: median {1000 * statistics.median(added):+.0f} ms")
    # the fastest run of each variant: the one the machine disturbed least
    fastest = min(t.cpu for t in timings["with"]) / min(t.cpu for t in timings["without"])
    print(f"ratio of the fastest runs (least disturbed by the machine): {fastest:.3f}")
    print(
        f"its import alone (fresh process, pytest already imported): {1000 * imported:.1f} ms "
        f"CPU, {imported / base:.2%} of a run without it"
    )
    print(f"wall-time ratio with/without (shared machine: noisier) {describe(wall)}")
    print(f"pytest plugin installed, not switched on: CPU-time ratio with/without {describe(cpu)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
