"""What importing the plugin, switched off, costs a Locust process: requests per CPU-second
with nothing imported, against the plugin imported when the locustfile loads, at Locust's
`init`, at `test_start` or once every user has spawned, and against its larger
dependencies imported alone.

Same locustfile, nginx target, users and core split as bench_http_overhead (whose
"imported" variant this splits up); variants interleaved round by round, the order
rotating. The steady-state window's user and system CPU are reported apart: an import
that does no work per request (bench_http_instructions counts none) can still make the
same instructions run slower, and that shows in user time only.

    .venv/bin/python bench/bench_http_import.py [--rounds 12] [--seconds 8] [--users 10]
        [--variants none,plugin,...] [--fixed-layout]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http_overhead import (
    LOCUSTFILE,
    STEADY_BEFORE_END,
    STEADY_FROM,
    add_layout_argument,
    bench_services,
    chosen_variants,
    core_split,
    layout_seed,
    layout_words,
    pin,
    rotated_rounds,
    run_locust,
    steady_window,
)

PLUGIN = "loadgen.locust_plugin"
# variant -> (modules imported, when: at "load" of the locustfile or at a Locust event)
IMPORTS = {
    "none": ("", "load"),
    "plugin": (PLUGIN, "load"),
    "plugin at init": (PLUGIN, "init"),
    "plugin at test_start": (PLUGIN, "test_start"),
    "plugin at spawning_complete": (PLUGIN, "spawning_complete"),  # after every user spawned
    "prometheus_client": ("prometheus_client", "load"),
    "hdrh": ("hdrh.histogram", "load"),
    "cramjam": ("cramjam", "load"),
}


@dataclass
class Steady:
    rate: float  # requests per CPU-second
    user_us: float  # user CPU per request
    system_us: float  # system CPU per request


def run_import_variant(
    variant: str, args: argparse.Namespace, target: str, prometheus: str, workdir: Path,
    locust_cores: set[int] | None,
) -> Steady:  # fmt: skip
    modules, when = IMPORTS[variant]
    extra_env = {
        "BENCH_STEADY_FOR": str(args.seconds - STEADY_FROM - STEADY_BEFORE_END),
        "BENCH_IMPORTS": modules,
        "BENCH_IMPORT_AT": when,
        "PERFSTACK_DISABLE": "1",
    }
    result = run_locust(
        "none", args.users, target, prometheus, workdir, locust_cores, args.seconds, 120,
        extra_env, result_name="result-import.json", layout_seed=layout_seed(args),
    )  # fmt: skip
    missing = set(filter(None, modules.split(","))) - set(result["imported"])
    if missing:
        raise SystemExit(f"{variant}: {', '.join(sorted(missing))} not imported by the end")
    steady = steady_window(variant, result)
    requests = float(steady["requests"])
    return Steady(
        rate=requests / float(steady["cpu"]),
        user_us=1e6 * float(steady["user"]) / requests,
        system_us=1e6 * float(steady["system"]) / requests,
    )


def report(runs: dict[str, list[Steady]]) -> None:
    baseline = runs["none"]
    for variant, steady in runs.items():
        ratios = [run.rate / base.rate for run, base in zip(steady, baseline, strict=True)]
        user = statistics.median(run.user_us for run in steady)
        system = statistics.median(run.system_us for run in steady)
        print(
            f"  {variant:>27}: {statistics.median(run.rate for run in steady):7.0f} req/CPU-s"
            f"  cost {1 - statistics.median(ratios):+.1%} (per-round ratio median; "
            f"min {min(ratios):.3f}, max {max(ratios):.3f})  user {user:5.1f} us"
            f"  system {system:4.1f} us per request"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--variants", default=",".join(IMPORTS), help="comma-separated")
    add_layout_argument(parser)
    args = parser.parse_args()
    variants = chosen_variants(parser, args.variants, IMPORTS)
    if args.seconds < 6:
        parser.error("--seconds must be at least 6 (2 s warm-up, 1.5 s before the end)")
    locust_cores, service_cores = core_split()
    pin(0, service_cores)
    runs: dict[str, list[Steady]] = {variant: [] for variant in variants}
    with bench_services("bench-import-", "bench_locustfile.py", LOCUSTFILE) as (
        workdir,
        target,
        prometheus,
    ):
        for round_number, order in rotated_rounds(variants, args.rounds):
            for variant in order:
                runs[variant].append(
                    run_import_variant(variant, args, target, prometheus, workdir, locust_cores)
                )
            print(
                f"round {round_number}: "
                + ", ".join(f"{v} {runs[v][-1].rate:.0f}" for v in variants),
                flush=True,
            )
    print(
        f"\nsteady state, median over {args.rounds} rounds of {args.seconds} s, {args.users} "
        f"users, FastHttpUser -> nginx, the plugin switched off (PERFSTACK_DISABLE=1), "
        f"{layout_words(args)}"
    )
    report(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
