"""Shared by the WebSocket benchmarks: targets on 127.0.0.1 and the file-descriptor limit.

Targets:
- `demo`: the demo target (`python -m demo`, uvicorn + Starlette), knobs as flags;
- `light`: a bare `websockets` server in its own process answering {"id": ...} with the same id
  (`python bench/bench_ws_common.py --serve`), for when the demo target would be the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEMO_READY = "demo target listening on http://127.0.0.1:"


def raise_nofile() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit (children inherit it); returns the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Target:
    def __init__(self, kind: str = "demo", **knobs: Any) -> None:
        if kind == "demo":
            argv = [sys.executable, "-m", "demo", "--port", "0", "--no-register"]
            for name, value in knobs.items():
                argv += [f"--{name.replace('_', '-')}", str(value)]
        else:
            argv = [sys.executable, str(Path(__file__).resolve()), "--serve"]
        self.kind = kind
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if kind == "demo":
            assert line.startswith(DEMO_READY), f"demo target did not start: {line!r}"
            self.port = int(line[len(DEMO_READY) :].split()[0])
        else:
            assert line.startswith("READY "), f"light server did not start: {line!r}"
            self.port = int(line.split()[1])

    @property
    def ws_url(self) -> str:
        path = "/ws/chat" if self.kind == "demo" else "/"
        return f"ws://127.0.0.1:{self.port}{path}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def _serve() -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def reply(ws: ServerConnection) -> None:
        try:
            async for message in ws:
                await ws.send(json.dumps({"id": json.loads(message).get("id"), "echo": True}))
        except Exception:
            pass

    async with serve(
        reply, "127.0.0.1", 0, compression=None, ping_interval=None, backlog=4096
    ) as server:
        print(f"READY {next(iter(server.sockets)).getsockname()[1]}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", action="store_true")
    if parser.parse_args().serve:
        raise_nofile()
        asyncio.run(_serve())
