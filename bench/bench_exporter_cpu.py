"""The exporter's own CPU while sampling 10 processes at 1 Hz, against a minimal peer.

Spawns 10 sleeping python processes, then runs side by side for the same ~30 s:
  - `perfstack exporter` watching the 10 (one --pid target each), all readings, /metrics on,
    pushing every second into a real Prometheus (started here, remote-write receiver on);
  - the same without pushing (sampling alone: what the 1% goal is about);
  - the same with --no-uss --no-connections too (the two costliest readings off);
  - a peer: a bare psutil loop reading only RSS and CPU times of the same 10 at 1 Hz.
Each one's CPU is measured from outside (psutil on its pid) from after start-up to the end,
so interpreter start and imports are not counted. Prints CPU as a share of one core (goal
for the exporter: <= 1%) and the exporter/peer ratio.

    .venv/bin/python bench/bench_exporter_cpu.py [--seconds 30]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from perfstack.testing import PrometheusProcess, free_port

PEER = """
import sys, time, psutil
procs = [psutil.Process(int(p)) for p in sys.argv[1:]]
print("ready", flush=True)
next_at = time.monotonic()
while True:
    for p in procs:
        p.memory_info().rss; p.cpu_times()
    next_at += 1.0
    time.sleep(max(0.0, next_at - time.monotonic()))
"""


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="bench-exporter-"))
    prometheus = PrometheusProcess(state / "prometheus").start()
    prometheus_url = prometheus.url
    sleepers = [
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"]) for _ in range(10)
    ]
    pids = [str(p.pid) for p in sleepers]
    targets = [flag for pid in pids for flag in ("--pid", pid, "--target-name", f"p{pid}")]
    base = [sys.executable, "-m", "perfstack", "exporter", "--interval", "1", *targets]
    runs = {
        "exporter (all readings, push + /metrics)": [
            *base, "--prometheus", prometheus_url, "--listen", f"127.0.0.1:{free_port()}",
        ],
        "exporter (all readings, no push)": [*base, "--no-push"],
        "exporter --no-push --no-uss --no-connections": [
            *base, "--no-push", "--no-uss", "--no-connections",
        ],
        "peer: psutil RSS+CPU loop": [sys.executable, "-c", PEER, *pids],
    }  # fmt: skip
    procs = {
        name: subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for name, cmd in runs.items()
    }
    try:
        time.sleep(8)  # start-up (imports, first passes) is not what we measure
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"{name} exited early with {proc.returncode}", file=sys.stderr)
                return 1
        start = {name: cpu_seconds(p.pid) for name, p in procs.items()}
        began = time.monotonic()
        time.sleep(args.seconds)
        wall = time.monotonic() - began
        used = {name: cpu_seconds(p.pid) - start[name] for name, p in procs.items()}
    finally:
        for proc in [*procs.values(), *sleepers]:
            proc.kill()
            proc.wait()
        prometheus.stop()
        shutil.rmtree(state, ignore_errors=True)

    peer = used["peer: psutil RSS+CPU loop"]
    print(f"sampling 10 processes at 1 Hz for {wall:.1f} s ({psutil.cpu_count()} cores)")
    for name, seconds in used.items():
        ratio = f"{seconds / peer:6.2f}x peer" if peer > 0 else "   n/a"
        print(
            f"  {name:38s} {seconds:7.3f} CPU-s  {100 * seconds / wall:6.3f}% of one core  {ratio}"
        )
    for name in ("exporter (all readings, no push)", "exporter (all readings, push + /metrics)"):
        share = used[name] / wall
        verdict = "meets" if share <= 0.01 else "MISSES"
        print(f"{name} {verdict} the 1% goal: {100 * share:.3f}% of one core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
