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
# Linux with CONFIG_PROC_CHILDREN (the default on common distributions).
_PROC_CHILDREN = os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children")


class AccessDenied(Exception):
    """Even the basic counters of a process cannot be read (another user's, hidepid)."""

    def __init__(self, pid: int) -> None:
        super().__init__(f"permission denied reading process {pid}")
        self.pid = pid


class Sampler(Protocol):
    disabled: frozenset[str]  # optional readings turned off by the user: not a warning

    def alive(self, pid: int) -> bool:
        """The process exists and is not a zombie."""

    def children(self, pid: int) -> set[int]:
        """Direct children of a process (empty when it is gone)."""

    def processes(self) -> Iterable[ProcessInfo]:
        """Every process with name and command line (costly: only when resolving)."""

    def info(self, pid: int) -> ProcessInfo | None:
        """One process's identity, None when there is no such process."""

    def listeners(self, port: int) -> set[int | None]:
        """pids with a TCP socket listening on `port`; None for a socket whose owner is hidden."""

    def read(self, pid: int) -> ProcessReading | None:
        """Counters of one process, None when it is gone; raises AccessDenied."""

    def retain(self, pids: set[int]) -> None:
        """After a pass: state kept for any process not in `pids` may be dropped."""

    def host(self) -> HostReading: ...


class PsutilSampler:
    def __init__(
        self, with_uss: bool = True, with_connections: bool = True, uss_every: int = 5
    ) -> None:
        self.with_uss = with_uss
        self.with_connections = with_connections
        self.disabled = frozenset(
            name
            for name, wanted in (("uss_bytes", with_uss), ("connections", with_connections))
            if not wanted
        )
        # USS walks the page tables (/proc/PID/smaps_rollup): over half of a pass's CPU when
        # read every second, so it is re-read every `uss_every` reads of a process.
        self.uss_every = max(1, uss_every)
        self._uss: dict[int, tuple[int, int | None]] = {}  # pid -> (reads since, last USS)
        self._procs: dict[int, psutil.Process] = {}
        psutil.cpu_percent(interval=None)  # primes the host CPU delta

    def alive(self, pid: int) -> bool:
        if not _PROC_CHILDREN:  # not Linux-like /proc: ask psutil
            try:
                return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
            except psutil.Error:
                return False
        try:
            with open(f"/proc/{pid}/stat", "rb") as file:
                stat = file.read()
        except OSError:
            return False
        return stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3] != b"Z"

    def children(self, pid: int) -> set[int]:
        """From /proc/PID/task/*/children: reading every process's parent instead (what
        psutil's children() does) cost two thirds of a sampling pass on a quiet host."""
        if _PROC_CHILDREN:
            found: set[int] = set()
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as file:
                        found.update(int(child) for child in file.read().split())
            except OSError:
                pass  # gone meanwhile, or a task ended between listing and reading
            return found
        try:
            return {child.pid for child in psutil.Process(pid).children()}
        except psutil.Error:
            return set()

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
        try:
            connections = psutil.net_connections(kind="tcp")
        except psutil.AccessDenied:  # macOS without root: owners unknown
            return {None}
        return {
            conn.pid
            for conn in connections
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
            self._uss.pop(pid, None)
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
            uss_bytes=self._read_uss(proc) if self.with_uss else None,
            open_fds=_optional(proc.num_fds),
            connections=(
                _optional(lambda: len(proc.net_connections(kind="inet")))
                if self.with_connections
                else None
            ),
            io_read_bytes=io.read_bytes if io else None,
            io_write_bytes=io.write_bytes if io else None,
        )

    def retain(self, pids: set[int]) -> None:
        """Drop the cached Process and USS of processes no target holds any more: a child
        that exited and was never read again (read() drops only what it sees vanish)."""
        for pid in self._procs.keys() - pids:
            del self._procs[pid]
        for pid in self._uss.keys() - pids:
            del self._uss[pid]

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

    def _read_uss(self, proc: psutil.Process) -> int | None:
        age, last = self._uss.get(proc.pid, (self.uss_every, None))
        if age >= self.uss_every or last is None:
            last, age = _optional(lambda: proc.memory_full_info().uss), 0
        self._uss[proc.pid] = (age + 1, last)
        return last

    def _process(self, pid: int) -> psutil.Process | None:
        """A cached Process (keeps psutil's per-process state) while its process runs."""
        proc = self._procs.get(pid)
        # A process can exit between passes and its pid go to a new one; the cached Process
        # would read the new one's counters under the old create time, so its CPU would be
        # taken for the old process's and the target's counter would drop. is_running()
        # compares create times: the old process is then retired and the new one counted.
        if proc is not None and proc.is_running():
            return proc
        self._uss.pop(pid, None)
        try:
            proc = psutil.Process(pid)
        except psutil.NoSuchProcess:
            self._procs.pop(pid, None)
            return None
        self._procs[pid] = proc
        return proc


def _optional(read: Callable[[], T]) -> T | None:
    """A reading the OS may refuse (another user's process) or not support: None then."""
    try:
        return read()
    except (psutil.AccessDenied, psutil.ZombieProcess, NotImplementedError, PermissionError):
        return None
    except psutil.NoSuchProcess:
        return None
