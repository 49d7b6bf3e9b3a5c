"""Pool the rounds of several bench_http_overhead invocations (`--save` files) into one
figure per variant, with its bootstrap interval and, for perfstack, the verdict.

Rounds stay paired with the baseline of their own invocation. Two intervals are printed:
one resampling the pooled rounds, which narrows as rounds accumulate (by about 1/sqrt of
their number) but assumes every round saw the same machine, and one resampling whole
invocations first (overhead_stats.clustered_interval), which also covers the machine
changing from one invocation or day to the next. With two or more invocations the verdict
follows the second.

    .venv/bin/python bench/pool_http_overhead.py ROUNDS.json [ROUNDS.json ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http_overhead import GOAL_OVERHEAD
from overhead_stats import describe_pooled, per_round_ratios

BASELINE = "none"
GOAL_VARIANT = "perfstack"
EXIT_BAD_FILE = 2


def load_ratios(path: Path) -> dict[str, list[float]]:
    """Per variant, each round's steady-state rate over the baseline's in that round."""
    try:
        saved: dict[str, Any] = json.loads(path.read_text())
        rounds = saved["rounds"]
        baseline = [float(rate) for rate in rounds[BASELINE]["steady"]]
        ratios = {}
        for variant, rates in rounds.items():
            steady = [float(rate) for rate in rates["steady"]]
            try:
                ratios[variant] = per_round_ratios(steady, baseline)
            except ValueError as error:
                raise ValueError(f"{variant}: {error}") from None
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError) as error:
        raise SystemExit(f"{path}: not a bench_http_overhead --save file ({error})") from None
    return ratios


def pooled(paths: list[Path]) -> dict[str, list[list[float]]]:
    """Per variant, each invocation's per-round ratios (a variant missing from a file has
    no entry for that invocation)."""
    pool: dict[str, list[list[float]]] = {}
    for path in paths:
        for variant, ratios in load_ratios(path).items():
            pool.setdefault(variant, []).append(ratios)
    return pool


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="bench_http_overhead --save files")
    args = parser.parse_args(argv)
    try:
        pool = pooled(args.files)
    except SystemExit as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_FILE
    print(f"steady state, {len(args.files)} invocations pooled")
    for variant, invocations in pool.items():
        if variant == BASELINE:
            continue
        goal = GOAL_OVERHEAD if variant == GOAL_VARIANT else None
        print(f"  {variant:>9}: overhead {describe_pooled(invocations, goal)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
