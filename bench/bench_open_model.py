"""Open-model cost: Locust requests per generator CPU-second of an arrival-rate run
(`perfstack run --rate`), against closed-model runs of the same locustfile at the same
request rate: plain Locust (no perfstack at all) and `perfstack run -u` (the plugin, with
its pacing compensation).

The locustfile paces its users with `constant_throughput`, so `-u N` sends N x that rate
closed, and `--rate` sends the same rate open (the wait_time is replaced by the arrival
tickets). FastHttpUser, one Locust process, nginx on 127.0.0.1 with a fixed answer, a
private Prometheus receiving the pushes. Variants run interleaved, round after round
with the order rotating, in this one invocation so machine noise hits all alike. CPU is
the Locust process's own time (time.process_time), read inside the process from 2 s after
test_start to test_stopping (the end of the load), with Locust's own request count over
the same window, and how often the process blocked and was woken again (voluntary
context switches: on a VM each costs more CPU than a request). Goal: arrival / plain
Locust >= 0.95.

    .venv/bin/python bench/bench_open_model.py [--rounds 4] [--seconds 12] [--rate 1000]

Absolute figures drift from machine to machine; the ratio in one run is the result.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from perfstack.testing import PrometheusProcess, start_nginx

GOAL_RATIO = 0.95
VARIANTS = ("locust", "perfstack-closed", "perfstack-open")
PER_USER = 10.0  # each closed-model user's constant_throughput
STEADY_FROM = 2.0

LOCUSTFILE = """
import json, os, time
import gevent
from locust import FastHttpUser, constant_throughput, events, task

class Paced(FastHttpUser):
    wait_time = constant_throughput(%(per_user)r)
    @task
    def root(self):
        self.client.get("/")

window = {}

def voluntary_switches():
    # each time the process blocked in the kernel (the hub's poll) and was woken again
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    return 0

def measure_from(environment):
    gevent.sleep(float(os.environ["BENCH_FROM"]))
    window["cpu"] = time.process_time()
    window["requests"] = environment.stats.total.num_requests
    window["wakeups"] = voluntary_switches()

@events.test_start.add_listener
def start_measuring(environment, **kw):
    gevent.spawn(measure_from, environment)

@events.test_stopping.add_listener
def stop_measuring(environment, **kw):
    # the window ends where Locust starts stopping its users, whatever ended the run
    if "cpu" in window:
        result = {"cpu": time.process_time() - window["cpu"],
                  "requests": environment.stats.total.num_requests - window["requests"],
                  "wakeups": voluntary_switches() - window["wakeups"]}
        with open(os.environ["BENCH_RESULT"], "w") as handle:
            json.dump(result, handle)
"""


def rotated_rounds(variants: Sequence[str], rounds: int) -> Iterator[tuple[int, list[str]]]:
    for number in range(1, rounds + 1):
        shift = (number - 1) % len(variants)
        yield number, [*variants[shift:], *variants[:shift]]


def command(
    variant: str, args: argparse.Namespace, workdir: Path, target: str, prom: str
) -> list[str]:
    locustfile = str(workdir / "locustfile.py")
    users = str(round(args.rate / PER_USER))
    if variant == "locust":
        return [
            sys.executable, "-m", "locust", "-f", locustfile, "--headless", "--host", target,
            "-u", users, "-r", users, "-t", f"{args.seconds}s", "--only-summary",
        ]  # fmt: skip
    run = [
        sys.executable, "-m", "perfstack", "run", "-f", locustfile, "--host", target,
        "--state-dir", str(workdir / "state"), "--prometheus", prom, "-t", f"{args.seconds}s",
    ]  # fmt: skip
    if variant == "perfstack-closed":
        return [*run, "-u", users, "-r", users]
    # the same number of users as the closed model: a larger pool costs per user (the
    # plugin samples every user's greenlet each second for requests in flight)
    return [*run, "--rate", f"{args.rate:g}/s", "--max-users", users]


def run_variant(
    variant: str, args: argparse.Namespace, workdir: Path, target: str, prom: str
) -> tuple[float, int, float]:
    """(requests per CPU-second in the steady state, requests in it, the hub's wake-ups
    per request: what most of a request's CPU goes to on a VM)."""
    result = workdir / f"{variant}.json"
    result.unlink(missing_ok=True)
    environment = dict(
        os.environ,
        BENCH_RESULT=str(result),
        BENCH_FROM=str(STEADY_FROM),
    )
    finished = subprocess.run(
        command(variant, args, workdir, target, prom),
        env=environment,
        capture_output=True,
        text=True,
        timeout=args.seconds + 120,
        check=False,
    )
    if not result.is_file():
        raise SystemExit(
            f"{variant}: no measurement; exit {finished.returncode}: "
            + " | ".join((finished.stdout + finished.stderr).splitlines()[-5:])
        )
    measured = json.loads(result.read_text())
    requests = int(measured["requests"])
    return measured["requests"] / measured["cpu"], requests, measured["wakeups"] / requests


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--rate", type=float, default=1000.0, help="requests per second")
    args = parser.parse_args()
    if args.seconds < 6:
        parser.error("--seconds must be at least 6 (after a 2 s warm-up)")
    rates: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="bench-open-model-") as temporary:
        workdir = Path(temporary)
        (workdir / "locustfile.py").write_text(LOCUSTFILE % {"per_user": PER_USER})
        nginx, target = start_nginx(workdir / "nginx")
        prometheus = PrometheusProcess(workdir / "prometheus").start()
        try:
            for number, order in rotated_rounds(VARIANTS, args.rounds):
                for variant in order:
                    rate, requests, wakeups = run_variant(
                        variant, args, workdir, target, prometheus.url
                    )
                    rates[variant].append(rate)
                    print(
                        f"round {number} {variant:>16}: {rate:8.0f} requests per CPU-second "
                        f"({requests} requests in the steady state, {wakeups:.2f} wake-ups "
                        "per request)",
                        flush=True,
                    )
        finally:
            prometheus.stop()
            nginx.terminate()
            nginx.wait()
    medians = {variant: statistics.median(values) for variant, values in rates.items()}
    print(
        f"\nmedian over {args.rounds} rounds of {args.seconds} s at {args.rate:g} requests/s, "
        "FastHttpUser -> nginx, one Locust process:"
    )
    for variant in VARIANTS:
        print(f"  {variant:>16}: {medians[variant]:8.0f} requests per CPU-second")
    ratio = medians["perfstack-open"] / medians["locust"]
    closed = medians["perfstack-open"] / medians["perfstack-closed"]
    verdict = "meets" if ratio >= GOAL_RATIO else "MISSES"
    print(
        f"arrival-rate / plain Locust closed model: {ratio:.3f} ({verdict} the goal >= "
        f"{GOAL_RATIO}); / perfstack closed model: {closed:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
