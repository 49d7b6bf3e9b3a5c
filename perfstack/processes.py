"""Background processes tracked by PID files: start, liveness, stop.

A PID file alone cannot tell a live service from a recycled PID, so liveness also checks
that the process runs one of the service's binaries.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import psutil


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def is_alive(pid: int) -> bool:
    """True when `pid` exists and is not a zombie, whatever it runs."""
    try:
        if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            _reap(pid)
            return False
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return True


def is_running(pid: int, binaries: Iterable[str]) -> bool:
    """True when `pid` is alive (not a zombie) and runs one of `binaries`."""
    if not is_alive(pid):
        return False
    try:
        process = psutil.Process(pid)
        cmdline = process.cmdline()
        # Empty while the process is inside execve (the argv of the new image is not set
        # up yet); the kernel's name for it (15 characters at most) is already the new one.
        name = os.path.basename(cmdline[0]) if cmdline else process.name()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return any(name == binary or (not cmdline and binary[:15] == name) for binary in binaries)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def start(argv: list[str], log_file: Path, env: Mapping[str, str] | None = None) -> int:
    """Start argv detached from our session, output appended to log_file; return its PID."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
    return process.pid


def exit_code(pid: int) -> int | None:
    """The exit status of our own child once it has ended, else None."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status) if done else None


def stop(pid: int, binaries: Iterable[str], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after timeout; only if pid still runs one of binaries."""
    if not is_running(pid, binaries):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_running(pid, binaries):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and is_running(pid, binaries):
        time.sleep(0.05)


def tail(path: Path, lines: int = 5) -> list[str]:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]
