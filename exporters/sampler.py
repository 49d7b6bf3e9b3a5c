"""Reading processes and the host: the one place the exporter touches psutil.

`Sampler` is the interface the rest of the exporter uses; `PsutilSampler` implements it on
the real OS and tests hand in recorded readings instead (tests/exporters/recorded.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

import psutil

from exporters.readings import HostReading, ProcessInfo, ProcessReading

T = TypeVar("T")


class AccessDenied(Exception):
    """Even the basic counters of a process cannot be read (another user's, hidepid)."""

    def __init__(self, pid: int) -> None:
        super().__init__(f"permission denied reading process {pid}")
        self.pid = pid


class Sampler(Protocol):
    def parents(self) -> dict[int, int]:
        """pid -> parent pid for every process now (one cheap pass per sampling tick)."""

    def processes(self) -> Iterable[ProcessInfo]:
        """Every process with name and command line (costly: only when resolving)."""

    def info(self, pid: int) -> ProcessInfo | None:
        """One process's identity, None when there is no such process."""

    def listeners(self, port: int) -> set[int | None]:
        """pids with a TCP socket listening on `port`; None for a socket whose owner is hidden."""

    def read(self, pid: int) -> ProcessReading | None:
        """Counters of one process, None when it is gone; raises AccessDenied."""

    def host(self) -> HostReading: ...


class PsutilSampler:
    def __init__(self, with_uss: bool = True, with_connections: bool = True) -> None:
        self.with_uss = with_uss
        self.with_connections = with_connections
        self._procs: dict[int, psutil.Process] = {}
        psutil.cpu_percent(interval=None)  # primes the host CPU delta

    def parents(self) -> dict[int, int]:
        return {p.pid: p.info["ppid"] or 0 for p in psutil.process_iter(["ppid"])}

    def processes(self) -> Iterable[ProcessInfo]:
        for proc in psutil.process_iter(["ppid", "name", "cmdline", "create_time"]):
            info = proc.info
            yield ProcessInfo(
                proc.pid,
                info["ppid"] or 0,
                info["name"] or "",
                tuple(info["cmdline"] or ()),
                info["create_time"] or 0.0,
            )

    def info(self, pid: int) -> ProcessInfo | None:
        try:
            proc = psutil.Process(pid)
            with proc.oneshot():
                return ProcessInfo(
                    pid, proc.ppid(), proc.name(), tuple(proc.cmdline()), proc.create_time()
                )
        except psutil.NoSuchProcess:
            return None
        except psutil.AccessDenied:
            raise AccessDenied(pid) from None

    def listeners(self, port: int) -> set[int | None]:
        return {
            conn.pid
            for conn in psutil.net_connections(kind="tcp")
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port
        }

    def read(self, pid: int) -> ProcessReading | None:
        proc = self._process(pid)
        if proc is None:
            return None
        try:
            with proc.oneshot():
                if proc.status() == psutil.STATUS_ZOMBIE:
                    return None  # exited, not yet reaped: holds nothing any more
                memory = proc.memory_info()
                cpu = proc.cpu_times()
                switches = proc.num_ctx_switches()
                threads = proc.num_threads()
                create_time = proc.create_time()
        except psutil.NoSuchProcess:
            self._procs.pop(pid, None)
            return None
        except psutil.AccessDenied:
            raise AccessDenied(pid) from None
        io = _optional(proc.io_counters)
        return ProcessReading(
            pid=pid,
            create_time=create_time,
            rss_bytes=memory.rss,
            vms_bytes=memory.vms,
            cpu_seconds=cpu.user + cpu.system,
            threads=threads,
            ctx_voluntary=switches.voluntary,
            ctx_involuntary=switches.involuntary,
            uss_bytes=_optional(lambda: proc.memory_full_info().uss) if self.with_uss else None,
            open_fds=_optional(proc.num_fds),
            connections=(
                _optional(lambda: len(proc.net_connections(kind="inet")))
                if self.with_connections
                else None
            ),
            io_read_bytes=io.read_bytes if io else None,
            io_write_bytes=io.write_bytes if io else None,
        )

    def host(self) -> HostReading:
        memory = psutil.virtual_memory()
        net = psutil.net_io_counters()
        return HostReading(
            cpu_ratio=psutil.cpu_percent(interval=None) / 100.0,
            memory_used_bytes=memory.total - memory.available,
            memory_total_bytes=memory.total,
            load1=os.getloadavg()[0],
            network_receive_bytes=net.bytes_recv if net else 0,
            network_transmit_bytes=net.bytes_sent if net else 0,
        )

    def _process(self, pid: int) -> psutil.Process | None:
        """A cached Process (keeps psutil's per-process state); a reused pid gets a new one."""
        proc = self._procs.get(pid)
        if proc is not None and proc.is_running():
            return proc
        try:
            proc = psutil.Process(pid)
        except psutil.NoSuchProcess:
            self._procs.pop(pid, None)
            return None
        self._procs[pid] = proc
        return proc

    def forget(self, alive: Iterable[int]) -> None:
        """Drop cached Process objects of pids no longer watched."""
        keep = set(alive)
        for pid in [p for p in self._procs if p not in keep]:
            del self._procs[pid]


def _optional(read: Callable[[], T]) -> T | None:
    """A reading the OS may refuse (another user's process) or not support: None then."""
    try:
        return read()
    except (psutil.AccessDenied, psutil.ZombieProcess, NotImplementedError, PermissionError):
        return None
    except psutil.NoSuchProcess:
        return None
