"""A server binary run as a child process on 127.0.0.1 for a test or a benchmark: started,
polled on a readiness URL until it answers, and stopped (terminated, then killed).

The data directory outlives `stop()`, so a test can restart the same store and see what it
kept across an outage.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Self

import httpx

from perfstack.core.ports import free_port


class ServiceProcess:
    """Subclasses name the `binary`, their `argv()` and the `ready_path`."""

    name = "service"
    ready_path = "/health"

    def __init__(self, workdir: Path, binary: str) -> None:
        self.workdir = workdir
        self.binary = binary
        self.port = free_port()
        self.data_dir = workdir / "data"
        self.log_file = workdir / f"{self.name}.log"
        self._process: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def remote_write_url(self) -> str:
        """Where a remote-write receiver among these services takes samples."""
        return f"{self.url}/api/v1/write"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def argv(self) -> list[str]:
        raise NotImplementedError

    def own_metric(self, name: str) -> float:
        """The sum of this server's own `name` series on its /metrics (0 when absent)."""
        text = httpx.get(f"{self.url}/metrics", timeout=5).text
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name) and line[len(name) : len(name) + 1] in ("{", " "):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def start(self, timeout: float = 20.0) -> Self:
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_file.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}{self.ready_path}", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} not ready in {timeout}s; see {self.log_file}")

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
