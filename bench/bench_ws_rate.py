"""Message rate per generator CPU-second at 100-byte payloads, round-trip measurement on.

perfstack's generator (`run_ws`, throughput mode: every reply matched by id, its round trip
recorded in the Prometheus histogram and the HDR recorder, counters for messages and bytes)
against a peer measured in the same invocation on the same target: a bare `websockets`
client loop sending the same 100-byte-payload JSON messages and reading the replies, with
no matching and no metrics. Variants alternate round after round so machine noise hits
both alike. CPU is this process's user+system time across each variant's run (the only
work the process does then). The target runs in its own process.

    .venv/bin/python bench/bench_ws_rate.py [--connections 50] [--seconds 10] [--rounds 2]
        [--target light|demo] [--prometheus URL]   # URL: also push metrics while measuring
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

from bench_ws_common import Target, raise_nofile

from loadgen.ws.config import RunConfig, SessionConfig
from loadgen.ws.runner import WsRunOptions, run_ws
from loadgen.ws.thinktime import ThinkTime

PAYLOAD = 100


def run_perfstack(url: str, args: argparse.Namespace) -> dict[str, Any]:
    run = RunConfig(
        SessionConfig(url=url, payload_size=PAYLOAD, think_time=ThinkTime()),
        mode="throughput",
        connections=args.connections,
        ramp=10000.0,
        duration=args.seconds,
        scenario="bench-ws-rate",
    )
    remote_write = f"{args.prometheus.rstrip('/')}/api/v1/write" if args.prometheus else None
    cpu0 = time.process_time()
    outcome = run_ws(WsRunOptions(run, remote_write_url=remote_write))
    cpu = time.process_time() - cpu0
    tally = outcome.tally
    return {
        "messages": tally.messages_received,
        "rtt_recorded": tally.rtt.count,
        "cpu_seconds": cpu,
        "per_cpu_second": tally.messages_received / cpu,
        "rtt_p50_ms": tally.rtt.percentiles().get("p50", 0) * 1000,
        "errors": sum(tally.errors.values()) + tally.reply_timeouts + tally.unmatched,
    }


async def _peer(url: str, connections: int, seconds: float) -> int:
    from websockets.asyncio.client import connect

    filler = "x" * PAYLOAD
    received = 0
    stop_at = asyncio.get_running_loop().time() + seconds

    async def loop_one(index: int) -> None:
        nonlocal received
        async with connect(url, compression=None, ping_interval=None, proxy=None) as ws:
            n = 0
            while asyncio.get_running_loop().time() < stop_at:
                n += 1
                await ws.send(json.dumps({"id": f"{index}-{n}", "text": filler}))
                await ws.recv()
                received += 1

    await asyncio.gather(*(loop_one(i) for i in range(connections)))
    return received


def run_peer(url: str, args: argparse.Namespace) -> dict[str, Any]:
    cpu0 = time.process_time()
    messages = asyncio.run(_peer(url, args.connections, args.seconds))
    cpu = time.process_time() - cpu0
    return {"messages": messages, "cpu_seconds": cpu, "per_cpu_second": messages / cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--target", choices=("light", "demo"), default="light")
    parser.add_argument("--prometheus", help="push perfstack's metrics here while measuring")
    args = parser.parse_args()
    raise_nofile()
    target = Target(args.target)
    results: dict[str, list[dict[str, Any]]] = {"perfstack": [], "peer": []}
    try:
        for round_number in range(args.rounds):
            for name, runner in (("peer", run_peer), ("perfstack", run_perfstack)):
                result = runner(target.ws_url, args)
                results[name].append(result)
                print(f"round {round_number + 1} {name}: {json.dumps(result)}", flush=True)
    finally:
        target.stop()
    ours = statistics.median(r["per_cpu_second"] for r in results["perfstack"])
    peer = statistics.median(r["per_cpu_second"] for r in results["peer"])
    print(
        f"RESULT: {PAYLOAD}-byte payloads, {args.connections} connections, target "
        f"{args.target}: perfstack {ours:,.0f} messages per CPU-second with round-trip "
        f"measurement; bare websockets loop {peer:,.0f}; ratio perfstack/peer {ours / peer:.2f}"
    )


if __name__ == "__main__":
    main()
