"""Child processes that `perfstack demo` runs beside the load: the target, the exporter,
the WebSocket generator. Each logs to a file; all are stopped when the block ends.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from demo.server import parse_ready_line
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.processes import stop_children


@dataclass
class RunningTarget:
    url: str
    port: int
    pid: int


class HelperProcesses:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def __enter__(self) -> HelperProcesses:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop_all()

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        with self.log_path(name).open("wb") as log:
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def start_target(self, argv: list[str], timeout: float = 20.0) -> RunningTarget:
        """Start the demo target and wait for its ready line, which names the bound port."""
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.processes["target"] = process
        assert process.stdout is not None
        found: list[tuple[str, int]] = []
        log = self.log_path("target").open("wb")

        def copy_output() -> None:
            assert process.stdout is not None
            for raw in process.stdout:
                log.write(raw)
                log.flush()
                ready = parse_ready_line(raw.decode(errors="replace"))
                if ready and not found:
                    found.append(ready)
            log.close()

        threading.Thread(target=copy_output, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not found and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if not found:
            self.stop_all()
            raise PerfstackError(
                f"the demo target did not start; see {self.log_path('target')}",
                ExitCode.SERVICE_START_FAILED,
            )
        url, port = found[0]
        return RunningTarget(url, port, process.pid)

    def wait(self, process: subprocess.Popen[bytes], timeout: float) -> int | None:
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop_all(self, timeout: float = 10.0) -> None:
        """SIGINT first: the generators and the exporter flush what they hold on it."""
        stop_children(self.processes.values(), signal.SIGINT, timeout)
