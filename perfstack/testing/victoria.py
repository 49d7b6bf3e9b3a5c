"""VictoriaMetrics (single node) and vmagent from Debian's `victoria-metrics` package, each
private to a test or a benchmark.

VictoriaMetrics takes remote write at /api/v1/write and answers the Prometheus query API
on the same port. Its default `-search.latencyOffset` of 30 s hides the newest samples
from queries; a test that pushes and then asks sets it to 0.

vmagent accepts remote write from generators and forwards it to `remote_write_url`,
queueing on disk under `-remoteWrite.tmpDataPath` while that store is down.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from perfstack.testing.service import ServiceProcess


class VictoriaMetricsProcess(ServiceProcess):
    name = "victoria-metrics"

    def __init__(
        self,
        workdir: Path,
        binary: str = "victoria-metrics",
        *,
        latency_offset: str = "0s",
        flags: Sequence[str] = (),
    ) -> None:
        super().__init__(workdir, binary)
        self.latency_offset = latency_offset
        self.flags = list(flags)

    def argv(self) -> list[str]:
        return [
            self.binary,
            f"-httpListenAddr=127.0.0.1:{self.port}",
            f"-storageDataPath={self.data_dir}",
            "-retentionPeriod=1d",
            f"-search.latencyOffset={self.latency_offset}",
            *self.flags,
        ]


class VmagentProcess(ServiceProcess):
    name = "vmagent"

    def __init__(
        self,
        workdir: Path,
        remote_write_url: str,
        binary: str = "vmagent",
        *,
        flags: Sequence[str] = (),
    ) -> None:
        super().__init__(workdir, binary)
        self.upstream = remote_write_url
        self.flags = list(flags)

    def argv(self) -> list[str]:
        return [
            self.binary,
            f"-httpListenAddr=127.0.0.1:{self.port}",
            f"-remoteWrite.url={self.upstream}",
            f"-remoteWrite.tmpDataPath={self.data_dir}",
            *self.flags,
        ]
