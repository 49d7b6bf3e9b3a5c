"""`perfstack exporter -- COMMAND`: start the target ourselves and watch it until it exits."""

from __future__ import annotations

import shlex
import signal
import subprocess
from collections.abc import Sequence

from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.processes import stop_children


class LaunchedTarget:
    def __init__(self, command: Sequence[str]) -> None:
        self.command = list(command)
        try:
            self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL)
        except (FileNotFoundError, PermissionError) as error:
            raise PerfstackError(
                f"-- {shlex.join(self.command)}: cannot start ({error.strerror or error})",
                ExitCode.TARGET_NOT_FOUND,
            ) from None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def text(self) -> str:
        return shlex.join(self.command)

    def exit_code(self) -> int | None:
        return self.process.poll()

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit status."""
        stop_children([self.process], signal.SIGTERM, timeout)
        return int(self.process.returncode)
