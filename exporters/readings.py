"""What one sampling pass reads: per process, per host. Plain data, so tests can record it.

A field is None when the OS would not tell us (permission denied, or not supported); the
collector then omits that metric for the target instead of publishing a partial sum.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessInfo:
    """Enough about a process to decide whether a selector matches it."""

    pid: int
    ppid: int
    name: str
    cmdline: tuple[str, ...]
    create_time: float = 0.0


@dataclass(frozen=True)
class ProcessReading:
    pid: int
    create_time: float
    rss_bytes: int
    vms_bytes: int
    cpu_seconds: float  # user + system of this process (not of its reaped children)
    threads: int
    ctx_voluntary: int
    ctx_involuntary: int
    uss_bytes: int | None = None
    open_fds: int | None = None
    connections: int | None = None
    io_read_bytes: int | None = None
    io_write_bytes: int | None = None


@dataclass(frozen=True)
class HostReading:
    cpu_ratio: float  # all cores busy = 1.0
    memory_used_bytes: int
    memory_total_bytes: int
    load1: float
    network_receive_bytes: int
    network_transmit_bytes: int


OPTIONAL_FIELDS = ("uss_bytes", "open_fds", "connections", "io_read_bytes", "io_write_bytes")
