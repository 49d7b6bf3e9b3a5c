"""Export overhead counted in instructions: what perfstack's plugin adds to each request,
independent of how noisy the machine is.

bench_http_overhead measures CPU time, the figure the goal is stated in, but separate
Locust processes differ by a few percent on their own. This bench counts the Locust
process's user-space instructions under valgrind (cachegrind), a count that repeats
within a fraction of a percent, for the same three set-ups: no export (the peer), the
plugin imported but switched off, and the plugin exporting to a private Prometheus.

Each variant runs three times: N1 requests, N2 requests, and N2 requests followed by an
idle stretch. Instructions = startup + per_request * requests + per_second * seconds,
solved exactly from the three runs, so neither start-up nor the plugin's once-a-second
work (fold, snapshot, push) is mistaken for per-request cost. The once-a-second share is
then charged to requests at the rate the same locustfile reaches natively, measured here
too. FastHttpUser against nginx on 127.0.0.1, 10 users, as in bench_http_overhead.

    .venv/bin/python bench/bench_http_instructions.py [--requests 1500 6000] [--idle 20]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http_overhead import bench_services, core_split, pin, run_locust

VARIANTS = ("none", "imported", "perfstack")
USERS = 10
LOCUST_CORES, SERVICE_CORES = core_split()  # as in bench_http_overhead

LOCUSTFILE = """
import json, os, time
import gevent
import gevent.event
from locust import FastHttpUser, constant, events, task

if os.environ["BENCH_VARIANT"] in ("imported", "perfstack"):
    import loadgen.locust_plugin  # "imported" is switched off by PERFSTACK_DISABLE

LIMIT = int(os.environ["BENCH_REQUESTS"])
IDLE = float(os.environ["BENCH_IDLE"])
NATIVE_SECONDS = float(os.environ.get("BENCH_SECONDS", "0"))
clock = {}
limit_reached = gevent.event.Event()

def finish(environment):
    if NATIVE_SECONDS:
        gevent.sleep(NATIVE_SECONDS)
    else:
        limit_reached.wait()
        gevent.sleep(IDLE)
    clock["end"] = time.monotonic()
    environment.runner.quit()

@events.test_start.add_listener
def started(environment, **kw):
    clock["start"] = time.monotonic()
    gevent.spawn(finish, environment)

@events.quitting.add_listener
def record(environment, **kw):
    with open(os.environ["BENCH_RESULT"], "w") as handle:
        json.dump({"requests": environment.stats.total.num_requests,
                   "failures": environment.stats.total.num_failures,
                   "seconds": clock["end"] - clock["start"]}, handle)

class Static(FastHttpUser):
    wait_time = constant(0)
    @task
    def get(self):
        if self.environment.stats.total.num_requests >= LIMIT:
            limit_reached.set()
            gevent.sleep(3600)  # idle without waking up until quit
        self.client.get("/")
"""


@dataclass
class Sample:
    instructions: int
    requests: int
    seconds: float


@dataclass
class Cost:
    per_request: float
    per_second: float


def run_once(
    variant: str,
    requests: int,
    idle: float,
    workdir: Path,
    target: str,
    prometheus: str,
    valgrind: list[str] | None,
    native_seconds: float = 0.0,
) -> Sample:
    name = f"{variant}-{requests}-{idle:g}"
    counts = workdir / f"cachegrind-{name}.out"
    extra_env = {
        "BENCH_REQUESTS": str(requests),
        "BENCH_IDLE": str(idle),
        "BENCH_SECONDS": str(native_seconds),
        "PERFSTACK_SCENARIO": "bench-instructions",
    }
    prefix = (*valgrind, f"--cachegrind-out-file={counts}") if valgrind else ()
    # the locustfile ends the run itself; -t only bounds a run that hangs
    measured = run_locust(
        variant, USERS, target, prometheus, workdir, LOCUST_CORES, 600, 900, extra_env,
        locustfile="locustfile.py", result_name=f"result-{name}.json", prefix=prefix,
    )  # fmt: skip
    instructions = read_instructions(counts) if valgrind else 0
    return Sample(instructions, int(measured["requests"]), float(measured["seconds"]))


def read_instructions(counts: Path) -> int:
    """The process's total instruction count from a cachegrind output file."""
    if not counts.exists():
        raise SystemExit(f"valgrind wrote no counts to {counts}")
    for line in counts.read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise SystemExit(f"{counts}: no 'summary:' line")


def solve(samples: list[Sample]) -> Cost:
    """startup + per_request * requests + per_second * seconds = instructions, three runs."""
    rows = [(1.0, float(s.requests), s.seconds, float(s.instructions)) for s in samples]

    def det(m: list[tuple[float, float, float]]) -> float:
        (a, b, c), (d, e, f), (g, h, i) = m
        return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)

    matrix = [(r[0], r[1], r[2]) for r in rows]
    whole = det(matrix)
    scale = max(r[1] for r in rows) * max(r[2] for r in rows)
    if abs(whole) < 1e-6 * scale:
        raise SystemExit("the three runs do not separate requests from seconds")
    per_request = det([(r[0], r[3], r[2]) for r in rows]) / whole
    per_second = det([(r[0], r[1], r[3]) for r in rows]) / whole
    return Cost(per_request, per_second)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, nargs=2, default=[1500, 6000])
    parser.add_argument("--idle", type=float, default=20.0, help="seconds, third run only")
    parser.add_argument("--native-seconds", type=float, default=6.0)
    args = parser.parse_args()
    low, high = sorted(args.requests)
    if low < 100 or high < 2 * low:
        raise SystemExit("--requests: two counts, the larger at least twice the smaller (>= 100)")
    binary = shutil.which("valgrind")
    if binary is None:
        raise SystemExit(
            "valgrind not found: install it (Debian: apt-get install valgrind, "
            "or ./scripts/install-system-deps.sh --bench)"
        )
    valgrind = [binary, "--tool=cachegrind", "--cache-sim=no"]
    pin(0, SERVICE_CORES)
    costs: dict[str, Cost] = {}
    with bench_services("bench-instructions-", "locustfile.py", LOCUSTFILE) as (
        workdir,
        target,
        prometheus,
    ):
        native = run_once("none", 10**9, 0, workdir, target, prometheus, None, args.native_seconds)
        native_rate = native.requests / native.seconds if native.seconds else 0.0
        for variant in VARIANTS:
            samples = [
                run_once(variant, low, 0, workdir, target, prometheus, valgrind),
                run_once(variant, high, 0, workdir, target, prometheus, valgrind),
                run_once(variant, high, args.idle, workdir, target, prometheus, valgrind),
            ]  # fmt: skip
            costs[variant] = solve(samples)
            runs = ", ".join(f"{s.requests} requests in {s.seconds:.1f} s" for s in samples)
            print(
                f"{variant:>9}: {costs[variant].per_request:9.0f} instructions per request, "
                f"{costs[variant].per_second:12.0f} per second "
                f"(runs of {runs})",
                flush=True,
            )
    report(costs, native_rate)
    return 0


def report(costs: dict[str, Cost], native_rate: float) -> None:
    base = costs["none"]
    print(f"\nat {native_rate:.0f} requests per second (this locustfile, natively, {USERS} users):")
    for variant in VARIANTS[1:]:
        cost = costs[variant]
        per_request = cost.per_request / base.per_request - 1
        periodic = (cost.per_second - base.per_second) / native_rate / base.per_request
        print(
            f"  {variant:>9}: per-request work {per_request:+.2%}, once-a-second work "
            f"{periodic:+.2%} of a request's; together {per_request + periodic:+.2%} "
            f"instructions against no export"
        )


if __name__ == "__main__":
    sys.exit(main())
