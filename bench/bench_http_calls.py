"""Export overhead counted in function calls: what each request makes the Locust process
call, with and without perfstack's plugin.

bench_http_overhead times CPU, and a percent of it is within the noise of separate
processes. This bench counts instead: a profile hook (sys.setprofile) tallies every
Python function and every C function the Locust process calls during a steady window,
divided by the requests completed in it. The count repeats to a fraction of a call per
request, so it answers exactly what the plugin adds to each request, and whether the
plugin switched off (PERFSTACK_DISABLE) adds anything at all.

Under the hook Locust runs several times slower, so the plugin's once-a-second work
(fold, snapshot, push) is spread over far fewer requests than in a real run and shows
larger here than it is; the per-request calls (the listener, the status code it reads)
are exact. Same locustfile, nginx target and core split as bench_http_overhead.

    .venv/bin/python bench/bench_http_calls.py [--users 10] [--top 12]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http_overhead import LOCUSTFILE, bench_services, core_split, pin, run_locust

VARIANTS = ("none", "imported", "perfstack")
COUNT_FROM = 3.0  # seconds after test_start: users spawned, first pushes done
COUNT_FOR = 2.0
RUN_SECONDS = 8

# Imported by the bench locustfile (BENCH_IMPORTS) from the run's directory.
CALL_COUNTER = """
import collections, json, os, sys
import gevent
from locust import events

counts = collections.Counter()

def tally(frame, event, arg):
    if event == "call":
        code = frame.f_code
        counts[(code.co_filename.rpartition("site-packages/")[2], code.co_name)] += 1
    elif event == "c_call":
        counts[("C", getattr(arg, "__qualname__", repr(arg)))] += 1

def count_window(environment):
    gevent.sleep(float(os.environ["CALLS_FROM"]))
    before = environment.stats.total.num_requests
    sys.setprofile(tally)
    gevent.sleep(float(os.environ["CALLS_FOR"]))
    sys.setprofile(None)
    requests = environment.stats.total.num_requests - before
    with open(os.environ["CALLS_RESULT"], "w") as handle:
        json.dump({"requests": requests,
                   "calls": [[where, name, n] for (where, name), n in counts.items()]}, handle)

@events.test_start.add_listener
def start_counting(environment, **kw):
    gevent.spawn(count_window, environment)
"""

Key = tuple[str, str]
REPOSITORY = str(Path(__file__).resolve().parent.parent) + "/"


def per_request(result: dict) -> dict[Key, float]:
    """{(file or "C", function): calls per request} from one counted window; files of this
    repository relative to it."""
    requests = int(result["requests"])
    if requests <= 0:
        raise SystemExit("no request completed in the counted window")
    counted: dict[Key, float] = {}
    for where, name, count in result["calls"]:
        key = (where.removeprefix(REPOSITORY), name)
        counted[key] = counted.get(key, 0.0) + count / requests
    return counted


def differences(base: dict[Key, float], other: dict[Key, float], top: int) -> list[str]:
    """The `top` largest changes in calls per request, largest first (ties by name)."""
    changes = [(other.get(key, 0.0) - base.get(key, 0.0), key) for key in base.keys() | other]
    changes.sort(key=lambda change: (-abs(change[0]), change[1]))
    return [
        f"    {change:+8.3f}  {where}: {name}  (peer {base.get((where, name), 0.0):.3f})"
        for change, (where, name) in changes[:top]
        if abs(change) >= 0.0005
    ]


def count_calls(
    variant: str, users: int, workdir: Path, target: str, prometheus: str,
    locust_cores: set[int] | None,
) -> dict:  # fmt: skip
    result_file = workdir / f"calls-{variant}.json"
    result_file.unlink(missing_ok=True)
    imports = "call_counter" + (",loadgen.locust_plugin" if variant == "imported" else "")
    extra_env = {
        "BENCH_IMPORTS": imports,
        "BENCH_STEADY_FOR": str(RUN_SECONDS - 4),
        "CALLS_FROM": str(COUNT_FROM),
        "CALLS_FOR": str(COUNT_FOR),
        "CALLS_RESULT": str(result_file),
    }
    run_locust(
        variant, users, target, prometheus, workdir, locust_cores, RUN_SECONDS, 120, extra_env
    )
    if not result_file.exists():
        raise SystemExit(f"{variant}: the counting window did not complete")
    return json.loads(result_file.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--top", type=int, default=12, help="changes listed per variant")
    args = parser.parse_args()
    locust_cores, service_cores = core_split()
    pin(0, service_cores)
    counted: dict[str, dict[Key, float]] = {}
    with bench_services("bench-calls-", "bench_locustfile.py", LOCUSTFILE) as (
        workdir,
        target,
        prometheus,
    ):
        (workdir / "call_counter.py").write_text(CALL_COUNTER)
        for variant in VARIANTS:
            counted[variant] = per_request(
                count_calls(variant, args.users, workdir, target, prometheus, locust_cores)
            )
    print(
        f"function calls per request, {COUNT_FOR:g} s window from {COUNT_FROM:g} s after "
        f"test_start, {args.users} users, FastHttpUser -> nginx (C and Python functions)"
    )
    base = counted["none"]
    for variant in VARIANTS:
        total = sum(counted[variant].values())
        print(f"  {variant:>9}: {total:8.2f} calls per request ({total - sum(base.values()):+.2f})")
    for variant in VARIANTS[1:]:
        print(f"\n{variant} against none, largest changes:")
        print("\n".join(differences(base, counted[variant], args.top)) or "    none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
