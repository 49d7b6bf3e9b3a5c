"""Scale: N concurrent WebSocket connections held from ONE generator process; RSS per connection.

The generator runs in this process (`run_ws`, the code behind `perfstack ws`), in
stability mode with reconnect on and a light message load (one message per connection every
20-40 s, replies matched and timed). The hold starts when all N are open. Baseline RSS is
taken just before the run; the figure is (RSS at the end of the hold - baseline) /
connections open. The peer, measured in the same
invocation against the same target, is a bare `websockets` client holding the same number
of connections in a list (no task, no state, no metrics per connection): the floor the
library itself costs. Goal: < 50 KB per connection (10k connections in 500 MB).

    .venv/bin/python bench/bench_ws_scale.py [--connections 10000] [--hold 60] [--ramp 300]
        [--target demo|light] [--peer-hold 10]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import threading
import time
from typing import Any

import psutil
from bench_ws_common import Target, raise_nofile

from loadgen.ws.config import RunConfig, SessionConfig
from loadgen.ws.runner import WsRunOptions, run_ws
from loadgen.ws.tally import WsTally
from loadgen.ws.thinktime import ThinkTime

GOAL_BYTES = 50 * 1024


def run_generator(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Ramp, wait until all N are open, hold `hold` seconds from then, stop; sample RSS/open."""
    process = psutil.Process()
    gc.collect()
    baseline = process.memory_info().rss
    tally = WsTally()
    stop = threading.Event()
    run = RunConfig(
        SessionConfig(
            url=url,
            think_time=ThinkTime.parse("uniform:20s:40s"),
            reconnect=True,
            reply_timeout=10.0,
            connect_timeout=30.0,
        ),
        mode="stability",
        connections=args.connections,
        ramp=args.ramp,
        duration=3 * args.connections / args.ramp + args.hold + 60,
        scenario="bench-ws-scale",
    )
    held: list[tuple[int, int]] = []  # (open, rss) once all N were open
    full_at: list[float] = []

    def sample() -> None:
        while not stop.wait(1.0):
            open_now, rss = tally.connections_open, process.memory_info().rss
            if not full_at and open_now >= args.connections:
                full_at.append(time.monotonic())
            if full_at:
                held.append((open_now, rss))
                if time.monotonic() - full_at[0] >= args.hold:
                    stop.set()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    cpu_before = process.cpu_times()
    outcome = run_ws(WsRunOptions(run, stop_event=stop), tally=tally)
    cpu_after = process.cpu_times()
    stop.set()
    sampler.join()
    open_now, rss_now = held[-1] if held else (0, process.memory_info().rss)
    return {
        "baseline_rss": baseline,
        "rss_at_hold_end": rss_now,
        "open_at_hold_end": open_now,
        "min_open_during_hold": min((h[0] for h in held), default=0),
        "seconds_to_all_open": full_at[0] - started if full_at else None,
        "held_seconds": len(held),
        "bytes_per_connection": (rss_now - baseline) / open_now if open_now else None,
        "cpu_seconds": (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system),
        "summary": outcome.summary,
    }


async def peer_hold(url: str, connections: int, ramp: float, hold: float) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    process = psutil.Process()
    gc.collect()
    baseline = process.memory_info().rss
    held: list[Any] = []
    failed = 0
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def one() -> None:
        nonlocal failed
        try:
            held.append(
                await connect(
                    url, compression=None, ping_interval=None, proxy=None, open_timeout=30
                )
            )
        except Exception:
            failed += 1

    pending = []
    for i in range(connections):
        await asyncio.sleep(max(0.0, start + i / ramp - loop.time()))
        pending.append(asyncio.create_task(one()))
    await asyncio.gather(*pending)
    pending.clear()
    await asyncio.sleep(hold)
    rss = process.memory_info().rss
    open_count = len(held)
    await asyncio.gather(*(ws.close() for ws in held), return_exceptions=True)
    return {
        "baseline_rss": baseline,
        "rss_at_hold_end": rss,
        "open_at_hold_end": open_count,
        "failed": failed,
        "bytes_per_connection": (rss - baseline) / open_count if open_count else None,
    }


def run_peer(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """In a fresh process: memory freed by our run would otherwise hide the peer's growth."""
    argv = [
        sys.executable,
        __file__,
        "--peer-only",
        url,
        "--connections",
        str(args.connections),
        "--ramp",
        str(args.ramp),
        "--peer-hold",
        str(args.peer_hold),
    ]
    output = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=900).stdout
    return dict(json.loads(output))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--hold", type=float, default=60.0)
    parser.add_argument("--ramp", type=float, default=300.0, help="connections per second")
    parser.add_argument("--target", choices=("demo", "light"), default="demo")
    parser.add_argument("--peer-hold", type=float, default=10.0)
    parser.add_argument("--peer-only", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer_only:
        raise_nofile()
        result = asyncio.run(peer_hold(args.peer_only, args.connections, args.ramp, args.peer_hold))
        print(json.dumps(result))
        return
    limit = raise_nofile()
    print(
        f"RLIMIT_NOFILE {limit}; target {args.target}; {args.connections} connections, "
        f"ramp {args.ramp:g}/s, hold {args.hold:g}s",
        flush=True,
    )
    target = Target(args.target)
    try:
        ours = run_generator(target.ws_url, args)
        target_rss = psutil.Process(target.pid).memory_info().rss
        peer = run_peer(target.ws_url, args)
    finally:
        target.stop()
    ws = ours.pop("summary")
    print(json.dumps({"perfstack_ws": ours, "peer_bare_websockets": peer}, indent=2))
    print(
        f"generator: {ws['connections']['sessions']} sessions, "
        f"{ws['disconnects']['unexpected']} unexpected disconnects, "
        f"{ws['reconnects']} reconnects, {ws['messages']['received']} replies, "
        f"{ws['reply_timeouts']} timeouts, errors {ws['errors']}"
    )
    print(
        f"target ({args.target}) RSS with the generator's connections: {target_rss / 2**20:.0f} MiB"
    )
    ours_b, peer_b = ours["bytes_per_connection"], peer["bytes_per_connection"]
    if ours_b is None or peer_b is None:
        print("RESULT: no connections held; see errors above")
        return
    print(
        f"RESULT: held {ours['min_open_during_hold']}..{ours['open_at_hold_end']} of "
        f"{args.connections} connections for {args.hold:g}s; generator RSS "
        f"{ours_b / 1024:.1f} KB/connection (goal < {GOAL_BYTES // 1024} KB: "
        f"{'met' if ours_b < GOAL_BYTES else 'NOT met'}); bare websockets peer "
        f"{peer_b / 1024:.1f} KB/connection; ratio perfstack/peer {ours_b / peer_b:.2f}"
    )


if __name__ == "__main__":
    main()
