"""Outage: the central store down longer than the generators' in-process buffer.

Two perfstack pushers push side by side at the default 1 s interval with the default 300 s
in-process buffer: one through a vmagent with a disk queue (the documented path for long
outages, docs/push-pipeline.md), the peer straight to the store as every generator does
without an agent. A private Prometheus is stopped for `--outage` seconds, restarted on its
data directory, and every sample each pusher counted as sent is looked for in it.
Goal: through vmagent 0 samples lost (sent == stored, 0 dropped by the pusher or vmagent);
the direct peer loses what outlasts its buffer, and counts every one of them.

    .venv/bin/python bench/bench_outage.py [--outage 600] [--buffer 300]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from perfstack.testing.outage import run_outage


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, default=600.0, help="seconds the store is down")
    parser.add_argument("--buffer", type=float, default=300.0, help="in-process buffer, s")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the pushers' retry warnings are expected here

    workdir = Path(tempfile.mkdtemp(prefix="bench-outage-"))
    started = time.monotonic()
    result = run_outage(
        workdir,
        outage_seconds=args.outage,
        buffer_seconds=args.buffer,
        progress=lambda line: print(f"[{time.monotonic() - started:6.0f} s] {line}", flush=True),
    )
    print("\n".join(result.lines()))
    agent, direct = result.generators["vmagent"], result.generators["direct"]
    lost_agent = agent.stats.samples_sent + agent.stats.dropped_total - (agent.stored or 0)
    lost_direct = direct.stats.samples_sent + direct.stats.dropped_total - (direct.stored or 0)
    dropped_by_vmagent = result.vmagent["vmagent_remotewrite_packets_dropped_total"]
    print(
        f"lost: through vmagent {lost_agent} samples (vmagent dropped {dropped_by_vmagent:g} "
        f"packets); direct {lost_direct} samples, of which counted as dropped "
        f"{direct.stats.dropped_total}"
    )
    goal = lost_agent == 0 and dropped_by_vmagent == 0 and agent.stored == agent.stats.samples_sent
    counted = direct.stored == direct.stats.samples_sent
    print(f"goal met (0 lost through vmagent): {goal}; direct losses all counted: {counted}")
    return 0 if goal and counted else 1


if __name__ == "__main__":
    raise SystemExit(main())
