"""Locust's own warnings and errors, echoed to the terminal as they happen.

Locust's console output goes to `<state>/runs/<testid>.locust.log` (the terminal shows
perfstack's live view instead), so a warning such as "options will be ignored", a task's
exception or a failing push would stay unseen until someone opens the log. Each distinct
message is echoed once, up to a limit, then one line says where the rest is.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TextIO

# "[2026-12-03 13:41:27,211] host/WARNING/locust.main: message"
_LOG_LINE = re.compile(r"^\[[^\]]+\] [^/]*/(WARNING|ERROR|CRITICAL)/([^:]+): (.*)$")
DEFAULT_LIMIT = 20


class LogEcho:
    def __init__(
        self,
        path: Path,
        stream: TextIO | None = None,
        limit: int = DEFAULT_LIMIT,
        hide: tuple[str, ...] = (),
    ) -> None:
        """`hide`: substrings of messages not to echo (about flags perfstack itself added)."""
        self.path, self.stream, self.limit, self.hide = path, stream, limit, hide
        self._offset = 0
        self._partial = b""
        self._seen: set[str] = set()
        self._told_limit = False

    def poll(self) -> None:
        try:
            with self.path.open("rb") as log:
                log.seek(self._offset)
                chunk = log.read()
        except OSError:
            return
        self._offset += len(chunk)
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        for raw in lines:
            self._echo(raw.decode("utf-8", errors="replace").rstrip())

    def _echo(self, line: str) -> None:
        match = _LOG_LINE.match(line)
        if match is None:
            return
        level, _logger, message = match.groups()
        if message in self._seen or any(part in message for part in self.hide):
            return
        stream = self.stream or sys.stderr
        if len(self._seen) >= self.limit:
            if not self._told_limit:
                print(f"locust: further warnings and errors in {self.path}", file=stream)
                self._told_limit = True
            return
        self._seen.add(message)
        print(f"locust {level.lower()}: {message}", file=stream, flush=True)
