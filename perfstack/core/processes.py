"""Stopping the processes we start, and background services tracked by PID files.

Our own children (`subprocess.Popen`) are stopped by `stop_children`: a signal, a grace
period, then SIGKILL. Services started by an earlier command are known only by a PID file,
which alone cannot tell a live service from a recycled PID, so their liveness also checks
that the process runs one of the service's binaries (`is_running`, `stop`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping
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


def stop_children(
    processes: Iterable[subprocess.Popen[bytes]],
    signal_number: int | None = signal.SIGINT,
    grace: float = 10.0,
) -> None:
    """Send `signal_number` to each child still running (None: send nothing, only wait),
    wait up to `grace` seconds for all of them together, then SIGKILL and reap the rest.

    A second Ctrl-C while waiting kills at once instead of leaving a child behind."""
    running = [process for process in processes if process.poll() is None]
    if signal_number is not None:
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal_number)
    deadline = time.monotonic() + grace
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            process.kill()
            process.wait()


def take_sigint() -> None:
    """Make SIGINT a KeyboardInterrupt again when this process was started with it ignored
    (`cmd &` in a script without job control, `nohup`): perfstack stops its own children
    with SIGINT so that they flush and keep what they measured, and an ignored SIGINT,
    inherited by every child, would leave only SIGKILL after the grace period."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM (what CI sends on cancel or timeout) ends the command the
    way Ctrl-C does, so its children are stopped and what was measured is kept. Only the
    first SIGTERM interrupts; later ones are ignored while that clean-up runs."""

    def interrupt(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def tail(path: Path, lines: int = 5) -> list[str]:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]
