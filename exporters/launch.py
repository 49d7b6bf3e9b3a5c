"""`perfstack exporter -- COMMAND`: start the target ourselves and watch it until it exits."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence

from perfstack.errors import ExitCode, PerfstackError


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
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return int(self.process.returncode)
