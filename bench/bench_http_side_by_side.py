"""Export overhead measured side by side: every variant's Locust process runs at the same
time, all sharing Locust's one core, round after round.

bench_http_overhead runs the variants one after another, so a variant's figure also
carries whatever the machine did during its 8 s (on a shared host: a few percent). Here
the processes share the same seconds, the scheduler interleaving them every few
milliseconds, so the machine's drift cancels out and two identical variants agree to
about 1% where back-to-back runs differ by several. That makes this the tool for
splitting a cost up, e.g. what an import costs.

It is not the goal's figure: each process gets 1/N of the core, so work done once a
second (snapshot, push, health sample) weighs N times as much per request as it does in
a Locust process running alone, and N processes contend for the caches. Per-request
costs and the memory an import leaves behind come out comparable; periodic ones do not.

Variants: the bench locustfile's (none, imported, perfstack, naive, and for splitting
perfstack's cost "no push": listener and fold without snapshot or push, "no listener":
everything running but the listener) plus "none again" (an A/A check: the noise floor) and
"prometheus_client" (nothing but that package imported, which the plugin no longer does in
the Locust process; see loadgen.families).

    .venv/bin/python bench/bench_http_side_by_side.py [--rounds 16] [--seconds 12]
        [--users 10] [--variants none,none again,imported,perfstack,naive] [--fixed-layout]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http_overhead import (
    LOCUSTFILE,
    STEADY_FROM,
    add_layout_argument,
    bench_services,
    chosen_variants,
    core_split,
    layout_seed,
    layout_words,
    locust_invocation,
    pin,
    read_result,
    rotated_rounds,
    steady_window,
)

# variant -> (the bench locustfile's variant, extra environment)
VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "none": ("none", {}),
    "none again": ("none", {}),
    "imported": ("imported", {}),
    "perfstack": ("perfstack", {}),
    "naive": ("naive", {}),
    "no push": ("no push", {}),
    "no listener": ("no listener", {}),
    "prometheus_client": ("none", {"BENCH_IMPORTS": "prometheus_client"}),
}
DEFAULT = "none,none again,imported,perfstack,naive"
STEADY_BEFORE_END = 3.0  # start-up is slower with N processes importing on one core


def run_round(
    variants: list[str], args: argparse.Namespace, target: str, prometheus: str,
    workdir: Path, locust_cores: set[int] | None,
) -> dict[str, float]:  # fmt: skip
    """Start every variant at once; requests per CPU-second of each one's steady window."""
    started = {}
    for variant in variants:
        kind, extra_env = VARIANTS[variant]
        result_file = workdir / f"result-{variant.replace(' ', '-')}.json"
        result_file.unlink(missing_ok=True)
        steady_for = args.seconds - STEADY_FROM - STEADY_BEFORE_END
        command, env = locust_invocation(
            kind, args.users, target, prometheus, workdir, args.seconds,
            {**extra_env, "BENCH_STEADY_FOR": str(steady_for)}, "bench_locustfile.py",
            result_file, layout_seed=layout_seed(args),
        )  # fmt: skip
        process = subprocess.Popen(
            command,
            env=env,
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=(lambda: pin(0, locust_cores)) if locust_cores else None,
        )
        started[variant] = (process, result_file)
    rates = {}
    for variant, (process, result_file) in started.items():
        process.wait(timeout=args.seconds + 120)
        steady = steady_window(variant, read_result(variant, result_file))
        rates[variant] = steady["requests"] / steady["cpu"]
    return rates


def summarize(runs: dict[str, list[float]]) -> list[str]:
    """One line per variant: its cost against "none" as the median of per-round ratios."""
    baseline = runs["none"]
    lines = []
    for variant, rates in runs.items():
        ratios = sorted(rate / base for rate, base in zip(rates, baseline, strict=True))
        quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
        lines.append(
            f"  {variant:>17}: {statistics.median(rates):7.0f} req/CPU-s"
            f"  cost {1 - statistics.median(ratios):+.1%}"
            f"  (per-round ratios: quartiles {quartiles[0]:.3f} .. {quartiles[2]:.3f},"
            f" min {ratios[0]:.3f}, max {ratios[-1]:.3f})"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--variants", default=DEFAULT, help="comma-separated")
    add_layout_argument(parser)
    args = parser.parse_args()
    variants = chosen_variants(parser, args.variants, VARIANTS)
    if args.seconds < STEADY_FROM + STEADY_BEFORE_END + 4:
        parser.error("--seconds must be at least 9 (2 s warm-up, 3 s before the end)")
    locust_cores, service_cores = core_split()
    pin(0, service_cores)
    runs: dict[str, list[float]] = {variant: [] for variant in variants}
    with bench_services("bench-side-", "bench_locustfile.py", LOCUSTFILE) as (
        workdir,
        target,
        prometheus,
    ):
        for round_number, order in rotated_rounds(variants, args.rounds):
            rates = run_round(order, args, target, prometheus, workdir, locust_cores)
            for variant in variants:
                runs[variant].append(rates[variant])
            print(
                f"round {round_number}: " + ", ".join(f"{v} {rates[v]:.0f}" for v in variants),
                flush=True,
            )
    print(
        f"\nside by side: {len(variants)} Locust processes at once on one core, "
        f"{args.rounds} rounds of {args.seconds} s, {args.users} users each, "
        f"FastHttpUser -> nginx, {layout_words(args)}; steady-state requests per CPU-second"
    )
    print("\n".join(summarize(runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
