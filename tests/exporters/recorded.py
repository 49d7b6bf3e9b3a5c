"""A Sampler that replays recorded readings: the exporter's data source, injected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from exporters.readings import HostReading, ProcessInfo, ProcessReading
from exporters.sampler import AccessDenied

HOST = HostReading(
    cpu_ratio=0.25,
    memory_used_bytes=3 * 2**30,
    memory_total_bytes=8 * 2**30,
    load1=0.5,
    network_receive_bytes=1000,
    network_transmit_bytes=2000,
)


def reading(pid: int, rss: int, cpu: float = 1.0, **extra: object) -> ProcessReading:
    values: dict[str, object] = dict(
        pid=pid,
        create_time=1000.0 + pid,
        rss_bytes=rss,
        vms_bytes=rss * 4,
        cpu_seconds=cpu,
        threads=2,
        ctx_voluntary=10,
        ctx_involuntary=1,
        uss_bytes=rss // 2,
        open_fds=5,
        connections=1,
        io_read_bytes=100,
        io_write_bytes=200,
    )
    values.update(extra)
    return ProcessReading(**values)  # type: ignore[arg-type]


@dataclass
class RecordedSampler:
    """Tests edit `table` (pid -> (ppid, name, cmdline)) and `readings` between passes."""

    table: dict[int, tuple[int, str, tuple[str, ...]]] = field(default_factory=dict)
    readings: dict[int, ProcessReading] = field(default_factory=dict)
    denied: set[int] = field(default_factory=set)
    listening: dict[int, set[int | None]] = field(default_factory=dict)
    host_reading: HostReading = HOST
    process_scans: int = 0
    disabled: frozenset[str] = frozenset()
    retained: list[set[int]] = field(default_factory=list)  # what each pass let it keep

    def add(self, pid: int, ppid: int, name: str, cmdline: str, rss: int, **extra: object) -> None:
        self.table[pid] = (ppid, name, tuple(cmdline.split()))
        self.readings[pid] = reading(pid, rss, **extra)

    def remove(self, pid: int) -> None:
        self.table.pop(pid, None)
        self.readings.pop(pid, None)

    def alive(self, pid: int) -> bool:
        return pid in self.table

    def children(self, pid: int) -> set[int]:
        return {child for child, row in self.table.items() if row[0] == pid}

    def processes(self) -> Iterable[ProcessInfo]:
        self.process_scans += 1
        return [ProcessInfo(pid, *row) for pid, row in self.table.items()]

    def info(self, pid: int) -> ProcessInfo | None:
        if pid in self.denied:
            raise AccessDenied(pid)
        row = self.table.get(pid)
        return ProcessInfo(pid, *row) if row else None

    def listeners(self, port: int) -> set[int | None]:
        return set(self.listening.get(port, set()))

    def read(self, pid: int) -> ProcessReading | None:
        if pid in self.denied:
            raise AccessDenied(pid)
        return self.readings.get(pid)

    def retain(self, pids: set[int]) -> None:
        self.retained.append(set(pids))

    def host(self) -> HostReading:
        return self.host_reading
