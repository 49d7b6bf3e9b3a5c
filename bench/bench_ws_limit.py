"""Connection-limit mode finds a cap imposed on the server, within 5%.

The demo target is started with `--ws-max-connections CAP` (it refuses handshakes beyond
CAP open connections with HTTP 403). `perfstack ws --mode connection-limit` ramps towards
several times CAP and must report the highest count the server held stable; the ratio
found/imposed is printed for each cap, in one invocation.

    .venv/bin/python bench/bench_ws_limit.py [--caps 250,1000,3000] [--ramp 300]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from bench_ws_common import ROOT, Target, raise_nofile

TOLERANCE = 0.05


def find_limit(url: str, cap: int, ramp: float) -> dict[str, object]:
    argv = [
        sys.executable,
        "-m",
        "loadgen.ws",
        "--url",
        url,
        "--mode",
        "connection-limit",
        "--connections",
        str(cap * 3),
        "--ramp",
        str(ramp),
        "--duration",
        "5m",
        "--settle",
        "3s",
        "--connect-timeout",
        "30s",
        "--no-push",
        "--no-record",
        "--json",
    ]
    output = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return dict(json.loads(output))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--caps", default="250,1000,3000")
    parser.add_argument("--ramp", type=float, default=300.0)
    args = parser.parse_args()
    raise_nofile()
    failures = 0
    for cap in (int(c) for c in args.caps.split(",")):
        target = Target("demo", ws_max_connections=cap)
        try:
            summary = find_limit(target.ws_url, cap, args.ramp)
        finally:
            target.stop()
        result = summary["result"]
        assert isinstance(result, dict)
        found = result["held_stable"]
        ratio = found / cap if isinstance(found, int) else float("nan")
        ok = abs(ratio - 1) <= TOLERANCE
        failures += not ok
        print(
            f"cap {cap}: found {found} (ratio found/imposed {ratio:.3f}, "
            f"{'within' if ok else 'OUTSIDE'} {TOLERANCE:.0%}); ramp stopped by "
            f"{result['ramp_stopped_by']} after {result['attempts']} attempts, peak open "
            f"{result['peak_open']}, errors {summary['errors']}",
            flush=True,
        )
    print(f"RESULT: {'all caps found within 5%' if not failures else f'{failures} cap(s) missed'}")


if __name__ == "__main__":
    main()
