"""Outage: the central store down longer than the generators' in-process buffer.

Three perfstack pushers push side by side at the default 1 s interval with the default
300 s in-process buffer: one through a vmagent with a disk queue (the documented path for
long outages, docs/push-pipeline.md), one through agent-mode Prometheus (its write-ahead
log), and the peer straight to the store as every generator does without an agent. A
private Prometheus is stopped for `--outage` seconds, restarted on its data directory, and
every sample each pusher counted as sent is looked for in it.
Goal: through either agent 0 samples lost (sent == stored, 0 dropped by the pusher or the
agent); the direct peer loses what outlasts its buffer, and counts every one of them.

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
    ok = True
    for path in ("vmagent", "prometheus-agent"):
        gen = result.generators[path]
        lost = gen.stats.samples_sent + gen.stats.dropped_total - (gen.stored or 0)
        print(
            f"lost through {path}: {lost} samples ({gen.stats.dropped_total} dropped by the pusher)"
        )
        ok = ok and lost == 0 and gen.stats.dropped_total == 0
    vmagent, prom_agent = result.agents["vmagent"], result.agents["prometheus-agent"]
    ok = ok and vmagent["vmagent_remotewrite_packets_dropped_total"] == 0
    ok = ok and prom_agent["prometheus_remote_storage_samples_failed_total"] == 0
    direct = result.generators["direct"]
    lost = direct.stats.samples_sent + direct.stats.dropped_total - (direct.stored or 0)
    counted = direct.stored == direct.stats.samples_sent
    print(
        f"peer, straight to the store: lost {lost} samples, counted as dropped "
        f"{direct.stats.dropped_total}"
    )
    print(f"goal met (0 lost through either agent): {ok}; direct losses all counted: {counted}")
    return 0 if ok and counted else 1


if __name__ == "__main__":
    raise SystemExit(main())
