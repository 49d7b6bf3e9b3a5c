"""Export overhead: Locust requests per generator CPU-second with perfstack's plugin,
against the same locustfile with no export and with a naive prometheus_client listener.

FastHttpUser, one Locust process, nginx on 127.0.0.1 serving a small static answer
(access log off), a private Prometheus receiving perfstack's pushes. Variants run
interleaved, round after round (the order rotating), in this one invocation so machine
noise hits all of them alike. CPU is the Locust process's own user+system time (psutil),
read inside the process over two windows: the steady state (from 2 s after test_start to
1.5 s before the end: the per-request and periodic cost, what the goal is about) and the
whole run (test_start to the end of test_stop, which includes the plugin's one-off final
flush, stale markers and run record). Goal (issue 3): steady-state overhead <= 3%; the
naive per-request `labels().observe()` listener is the peer (design notes: ~6%).

    .venv/bin/python bench/bench_http_overhead.py [--rounds 3] [--seconds 10] [--users 10]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from tests.helpers import free_port
from tests.loadgen.prometheus_process import PrometheusProcess

GOAL_OVERHEAD = 0.03
VARIANTS = ("none", "perfstack", "naive")

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location / {{ default_type text/plain; return 200 "ok\\n"; }}
    }}
}}
"""

LOCUSTFILE = """
import json, os, psutil
from locust import FastHttpUser, constant, events, task

VARIANT = os.environ["BENCH_VARIANT"]
if VARIANT == "perfstack":
    import loadgen.locust_plugin  # noqa: F401
elif VARIANT == "naive":
    from prometheus_client import Counter, Histogram
    from loadgen.schema import LATENCY_BUCKETS
    DURATION = Histogram("naive_duration_seconds", "d", ["name", "method", "status"],
                         buckets=LATENCY_BUCKETS)
    FAILURES = Counter("naive_failures", "f", ["name", "method"])

    @events.request.add_listener
    def naive(request_type, name, response_time, response=None, exception=None, **kw):
        status = str(getattr(response, "status_code", "none"))
        DURATION.labels(name, request_type, status).observe(response_time / 1000.0)
        if exception is not None:
            FAILURES.labels(name, request_type).inc()

import gevent

process = psutil.Process()
window = {}

def cpu_seconds():
    times = process.cpu_times()
    return times.user + times.system

def steady_window(environment):
    gevent.sleep(float(os.environ["BENCH_STEADY_FROM"]))
    first = (cpu_seconds(), environment.stats.total.num_requests)
    gevent.sleep(float(os.environ["BENCH_STEADY_FOR"]))
    window["steady"] = {"cpu": cpu_seconds() - first[0],
                        "requests": environment.stats.total.num_requests - first[1]}

@events.test_start.add_listener
def started(environment, **kw):
    window["cpu"] = cpu_seconds()
    gevent.spawn(steady_window, environment)

@events.test_stop.add_listener
def stopped(environment, **kw):
    times = process.cpu_times()
    result = {"cpu": times.user + times.system - window["cpu"],
              "requests": environment.stats.total.num_requests,
              "failures": environment.stats.total.num_failures,
              "steady": window.get("steady")}
    with open(os.environ["BENCH_RESULT"], "w") as handle:
        json.dump(result, handle)

class Static(FastHttpUser):
    wait_time = constant(0)
    @task
    def get(self):
        self.client.get("/")
"""


def start_nginx(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    config = workdir / "nginx.conf"
    config.write_text(NGINX_CONF.format(workdir=workdir, port=port))
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen(
        [binary, "-c", str(config), "-p", str(workdir)], stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"nginx did not start; see {workdir}/nginx-error.log")


STEADY_FROM = 2.0
STEADY_BEFORE_END = 1.5


def run_variant(
    variant: str, args: argparse.Namespace, target: str, prometheus: str, workdir: Path
) -> tuple[float, float]:
    """(steady-state, whole-run) requests per CPU-second."""
    locustfile = workdir / "bench_locustfile.py"
    result_file = workdir / f"result-{variant}.json"
    result_file.unlink(missing_ok=True)
    env = dict(os.environ, BENCH_VARIANT=variant, BENCH_RESULT=str(result_file))
    env.update(
        BENCH_STEADY_FROM=str(STEADY_FROM),
        BENCH_STEADY_FOR=str(args.seconds - STEADY_FROM - STEADY_BEFORE_END),
    )
    env.update(
        PERFSTACK_PROMETHEUS_URL=prometheus,
        PERFSTACK_STATE_DIR=str(workdir / "state"),
        PERFSTACK_SCENARIO="bench",
        PYTHONPATH=str(Path(__file__).resolve().parent.parent),
    )
    command = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--only-summary",
        "--host", target, "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    subprocess.run(command, env=env, cwd=workdir, check=False, capture_output=True, timeout=120)
    result = json.loads(result_file.read_text())
    if result["failures"]:
        raise SystemExit(
            f"{variant}: {result['failures']} failed requests; the target is not keeping up"
        )
    steady = result["steady"]
    if not steady:
        raise SystemExit(f"{variant}: the steady-state window did not complete")
    whole = float(result["requests"]) / float(result["cpu"])
    return float(steady["requests"]) / float(steady["cpu"]), whole


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()
    if args.seconds < 6:
        raise SystemExit("--seconds must be at least 6 (2 s warm-up, 1.5 s before the end)")
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        workdir = Path(tmp)
        (workdir / "bench_locustfile.py").write_text(LOCUSTFILE)
        nginx, target = start_nginx(workdir)
        prometheus = PrometheusProcess(workdir / "prometheus").start()
        steady: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        whole: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        try:
            for round_number in range(1, args.rounds + 1):
                # rotate the order each round: no variant always runs first or last
                shift = (round_number - 1) % len(VARIANTS)
                for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                    rate, whole_rate = run_variant(variant, args, target, prometheus.url, workdir)
                    steady[variant].append(rate)
                    whole[variant].append(whole_rate)
                    print(
                        f"round {round_number} {variant:>9}: {rate:8.0f} requests per CPU-second"
                        f" (steady), {whole_rate:8.0f} (whole run)",
                        flush=True,
                    )
        finally:
            prometheus.stop()
            nginx.terminate()
            nginx.wait(10)
    setup = f"{args.rounds} rounds, {args.seconds} s each, {args.users} users"
    print(f"\nmedian over {setup}, FastHttpUser -> nginx, one Locust process")
    overheads = {}
    for label, rates in (("steady state", steady), ("whole run", whole)):
        print(label)
        baseline = statistics.median(rates["none"])
        for variant in VARIANTS:
            median = statistics.median(rates[variant])
            # the same round's runs ran back to back, under the most similar machine load
            paired = statistics.median(
                r / b for r, b in zip(rates[variant], rates["none"], strict=True)
            )
            overheads[label, variant] = 1 - paired
            print(
                f"  {variant:>9}: {median:8.0f} req/CPU-s  ratio of medians "
                f"{median / baseline:.3f}  median per-round ratio {paired:.3f}  "
                f"overhead {1 - paired:+.1%}"
            )
    overhead = overheads["steady state", "perfstack"]
    verdict = "meets" if overhead <= GOAL_OVERHEAD else "MISSES"
    print(
        f"perfstack export overhead {overhead:.1%} in the steady state "
        f"({overheads['whole run', 'perfstack']:.1%} over the whole run, naive listener "
        f"{overheads['steady state', 'naive']:.1%}): {verdict} the <= {GOAL_OVERHEAD:.0%} goal"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
