"""Liveness of tracked processes: PID files must not be fooled by a recycled PID or by a
process caught inside execve."""

from __future__ import annotations

import subprocess
import sys

from perfstack import processes


def test_a_process_just_started_counts_as_running() -> None:
    """Right after Popen the child may still be inside execve, its cmdline empty (seen in
    ~3% of starts here); that must not read as dead, or `up` reports a healthy service as
    having exited during start."""
    misses = 0
    for _ in range(500):
        child = subprocess.Popen(["sleep", "30"], start_new_session=True)
        try:
            misses += not processes.is_running(child.pid, ("sleep",))
        finally:
            child.kill()
            child.wait()
    assert misses == 0


def test_a_pid_running_another_program_is_not_the_service() -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert processes.is_alive(other.pid)
        assert not processes.is_running(other.pid, ("prometheus",))
    finally:
        other.kill()
        other.wait()


def test_an_ended_child_is_neither_alive_nor_running() -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    assert not processes.is_alive(child.pid)
    assert not processes.is_running(child.pid, ("true",))
