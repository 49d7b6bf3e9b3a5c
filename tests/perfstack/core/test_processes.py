"""Liveness of tracked processes: PID files must not be fooled by a recycled PID or by a
process caught inside execve."""

from __future__ import annotations

import subprocess
import sys

from perfstack.core import processes


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


_IGNORES_SIGINT = (
    "import signal, time\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)
_EXITS_3_ON_SIGINT = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGINT, lambda *_: sys.exit(3))\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def _ready(code: str) -> subprocess.Popen[bytes]:
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    if "ready" in code:
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
    return child


def test_stop_children_signals_and_keeps_the_exit_status() -> None:
    child = _ready(_EXITS_3_ON_SIGINT)
    processes.stop_children([child], grace=10.0)
    assert child.returncode == 3


def test_a_child_that_ignores_the_signal_is_killed_after_the_grace() -> None:
    stubborn, polite = _ready(_IGNORES_SIGINT), _ready(_EXITS_3_ON_SIGINT)
    processes.stop_children([stubborn, polite], grace=1.0)
    assert polite.returncode == 3
    assert stubborn.returncode == -9  # SIGKILL


def test_without_a_signal_a_child_is_only_waited_for() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(5)"])
    processes.stop_children([child], None, grace=10.0)
    assert child.returncode == 5
    ended = subprocess.Popen([sys.executable, "-c", ""])
    ended.wait()
    processes.stop_children([ended])  # already ended: nothing to signal, no error
    assert ended.returncode == 0


def test_a_process_started_with_sigint_ignored_takes_it_again_and_so_do_its_children() -> None:
    """`perfstack` started by `cmd &` in a script inherits an ignored SIGINT: it takes it
    again, so the children it stops with SIGINT (Locust, ws, the exporter) shut down cleanly."""
    import signal
    import subprocess
    import sys

    probe = (
        "import signal, subprocess, sys\n"
        "from perfstack.core.processes import take_sigint\n"
        "take_sigint()\n"
        "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)\n"
        "child = 'import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)'\n"
        "print(subprocess.run([sys.executable, '-c', child], capture_output=True, text=True)"
        ".stdout.strip())\n"
    )
    ignored = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert ignored.stdout.split() == ["True", "False"], ignored.stderr
