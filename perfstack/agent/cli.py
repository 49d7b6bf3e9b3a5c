"""`perfstack agent`: vmagent with a disk queue on a generator host, in the foreground
until Ctrl-C or SIGTERM (then stopped with SIGTERM, which writes its memory to the queue)."""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from perfstack.agent.vmagent import STORES, AgentPlan, vmagent_argv
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.processes import sigterm_as_interrupt, stop_children
from perfstack.core.state import default_state_dir
from perfstack.stack.lifecycle import port_is_free

DEFAULT_PORT = 8429
READY_TIMEOUT = 20.0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "agent",
        help="run vmagent with a disk queue: generators on this host push to it, it forwards",
        description="Run vmagent on 127.0.0.1 in the foreground with a disk queue between "
        "this host's generators and the central store, so an outage of the store longer "
        "than the generators' in-memory buffer (300 s) loses nothing. Point the generators "
        "at the URL it prints (perfstack run --remote-write-url, PERFSTACK_REMOTE_WRITE_URL).",
    )
    parser.add_argument("--store-url", required=True, help="the central store's remote-write URL")
    parser.add_argument(
        "--store",
        choices=STORES,
        default="prometheus",
        help="what the store is: in front of Prometheus the backlog goes out on one queue, "
        "oldest first (default: prometheus)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 ({DEFAULT_PORT})"
    )
    parser.add_argument(
        "--data-dir", type=Path, help="the disk queue (default: <state dir>/vmagent)"
    )
    parser.add_argument(
        "--max-disk",
        default="2GB",
        help="cap of the disk queue; when full the oldest data is dropped, counted in "
        "vm_persistentqueue_bytes_dropped_total (default: 2GB; 0: no cap)",
    )
    parser.add_argument(
        "--state-dir", type=Path, help="default: $PERFSTACK_STATE_DIR or .perfstack"
    )
    parser.set_defaults(func=agent_command)


def agent_command(args: argparse.Namespace) -> int:
    state_dir = args.state_dir or default_state_dir()
    plan = AgentPlan(
        store_url=args.store_url,
        store=args.store,
        data_dir=args.data_dir or state_dir / "vmagent",
        port=args.port,
        max_disk=args.max_disk,
    )
    binary = shutil.which("vmagent")
    if binary is None:
        raise PerfstackError(
            "vmagent not found on PATH; install it with: apt-get install victoria-metrics",
            ExitCode.BINARY_MISSING,
        )
    if not port_is_free(plan.port):
        raise PerfstackError(
            f"--port {plan.port}: already in use; choose another", ExitCode.PORT_IN_USE
        )
    log_file = plan.data_dir / "vmagent.log"
    try:
        plan.data_dir.mkdir(parents=True, exist_ok=True)
        log_file.touch()
    except OSError as error:
        raise PerfstackError(
            f"--data-dir {plan.data_dir}: cannot hold the disk queue: {error.strerror or error}",
            ExitCode.USAGE,
        ) from error
    with sigterm_as_interrupt(), log_file.open("ab") as log:
        child = subprocess.Popen(vmagent_argv(plan, binary), stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(plan, child, log_file)
            print(
                f"perfstack agent: vmagent on {plan.write_url} -> {plan.store_url} "
                f"(disk queue {plan.data_dir}, cap {plan.max_disk}; log {log_file})",
                flush=True,
            )
            print(f"  point generators at: --remote-write-url {plan.write_url}", flush=True)
            child.wait()
        except KeyboardInterrupt:
            # SIGTERM: vmagent writes what it holds in memory to the disk queue, then exits
            stop_children([child], signal.SIGTERM, 30.0)
            return int(ExitCode.OK)
        finally:
            if child.poll() is None:
                stop_children([child], signal.SIGTERM, 30.0)
    raise PerfstackError(
        f"vmagent exited (code {child.returncode}): {_tail(log_file)}",
        ExitCode.SERVICE_START_FAILED,
    )


def _wait_ready(plan: AgentPlan, child: subprocess.Popen[bytes], log_file: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise PerfstackError(
                f"vmagent exited (code {child.returncode}): {_tail(log_file)}",
                ExitCode.SERVICE_START_FAILED,
            )
        try:
            if httpx.get(f"http://127.0.0.1:{plan.port}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise PerfstackError(
        f"vmagent not ready in {READY_TIMEOUT:.0f} s; see {log_file}",
        ExitCode.SERVICE_START_FAILED,
    )


def _tail(path: Path, lines: int = 2) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(line.strip() for line in text[-lines:]) or "no output"
