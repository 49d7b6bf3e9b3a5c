"""Which processes make up a target, tick after tick, across restarts.

A target is chosen by one selector (`--pid`, `--name`, `--cmdline`, `--port`, or the
command the exporter launched). Its processes are the selected "roots" plus all their
descendants. While a root lives nothing is searched again (that is the cheap path every
tick); once every root is gone the selector is resolved again, which is how a restarted
service (new PID) is followed. A `--pid` target is followed by its exact command line.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

from exporters.sampler import AccessDenied, Sampler
from perfstack.core.errors import ExitCode, PerfstackError

_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]+")


@dataclass
class TargetSpec:
    kind: str
    value: str
    name: str | None = None  # the `target` label; derived from the selector when None
    launched_pid: int | None = None  # kind "launch": the process the exporter started

    @property
    def flag(self) -> str:
        """How the user wrote the selector, for messages."""
        if self.kind == "launch":
            return f"-- {self.value}"
        if self.kind in ("name", "cmdline"):
            return f"--{self.kind} {self.value!r}"
        return f"--{self.kind} {self.value}"


def own_lineage() -> set[int]:
    """This process and its ancestors: their command lines contain our own patterns."""
    pids = {os.getpid()}
    with contextlib.suppress(psutil.Error):
        pids.update(parent.pid for parent in psutil.Process().parents())
    return pids


def descendants(roots: Iterable[int], sampler: Sampler) -> set[int]:
    found: set[int] = set()
    stack = [pid for pid in roots if sampler.alive(pid)]
    while stack:
        pid = stack.pop()
        if pid in found:
            continue
        found.add(pid)
        stack.extend(sampler.children(pid))
    return found


class TargetTracker:
    def __init__(self, spec: TargetSpec, sampler: Sampler, exclude: set[int] | None = None):
        self.spec = spec
        self.sampler = sampler
        self.exclude = own_lineage() if exclude is None else exclude
        self.roots: set[int] = set()
        self.restarts = 0
        self.hidden_owner = False  # a --port listener whose owner we may not see
        self._seen_once = False
        self._cmdline: tuple[str, ...] = ()
        self._pattern: re.Pattern[str] | None = None
        if spec.kind in ("name", "cmdline"):
            try:
                self._pattern = re.compile(spec.value)
            except re.error as error:
                raise PerfstackError(
                    f"{spec.flag}: not a valid regular expression ({error})", ExitCode.USAGE
                ) from None
        if spec.kind == "pid" and not spec.value.isdigit():
            raise PerfstackError(f"{spec.flag}: expected a process id (digits)", ExitCode.USAGE)
        if spec.kind == "port" and not (spec.value.isdigit() and 0 < int(spec.value) < 65536):
            raise PerfstackError(f"{spec.flag}: expected a TCP port 1-65535", ExitCode.USAGE)

    def start(self) -> None:
        """Resolve once; a --pid or launched process that does not exist is an error."""
        if self.spec.kind in ("pid", "launch"):
            pid = (
                int(self.spec.value)
                if self.spec.kind == "pid"
                else int(self.spec.launched_pid or 0)
            )
            try:
                info = self.sampler.info(pid)
            except AccessDenied:
                raise PerfstackError(
                    f"{self.spec.flag}: permission denied reading process {pid} "
                    "(another user's; run the exporter as that user or root)",
                    ExitCode.TARGET_ACCESS_DENIED,
                ) from None
            if info is None:
                raise PerfstackError(
                    f"{self.spec.flag}: no such process", ExitCode.TARGET_NOT_FOUND
                )
            self._cmdline = info.cmdline
            self.roots = {pid}
            self._seen_once = True
            if self.spec.name is None:
                self.spec.name = _label(info.name) or f"pid-{pid}"
        else:
            self._resolve()

    def pids(self) -> set[int]:
        """The target's processes now (empty when it is down)."""
        if not any(self.sampler.alive(pid) for pid in self.roots):
            self._resolve()
        return descendants(self.roots, self.sampler)

    def _resolve(self) -> None:
        found = self._find()
        if found and self._seen_once and not (found & self.roots):
            self.restarts += 1
        if found:
            self._seen_once = True
        self.roots = found

    def _find(self) -> set[int]:
        kind = self.spec.kind
        if kind == "launch":
            return set()  # a launched command is not re-launched; the runner ends instead
        if kind == "port":
            owners = self.sampler.listeners(int(self.spec.value))
            self.hidden_owner = None in owners
            return {pid for pid in owners if pid is not None and pid not in self.exclude}
        found = set()
        for info in self.sampler.processes():
            if info.pid in self.exclude:
                continue
            if kind == "pid":
                hit = bool(self._cmdline) and info.cmdline == self._cmdline
            elif kind == "name":
                hit = self._pattern is not None and bool(self._pattern.search(info.name))
            else:
                hit = self._pattern is not None and bool(
                    self._pattern.search(" ".join(info.cmdline))
                )
            if hit:
                found.add(info.pid)
        return found


def default_name(spec: TargetSpec) -> str | None:
    """A label from the selector itself; None when it must wait for the process name."""
    if spec.kind == "port":
        return f"port-{spec.value}"
    if spec.kind == "name":
        return _label(spec.value) or "name"
    if spec.kind == "cmdline":
        words = [w for w in re.split(r"\s+", spec.value) if w]
        return _label(os.path.basename(words[0])) if words else "cmdline"
    if spec.kind == "launch":
        return _launch_name(shlex.split(spec.value))
    return None


def _launch_name(argv: list[str]) -> str:
    """`python -m app` / `python app.py` say more by their module or script than "python"."""
    if not argv:
        return "launch"
    program = _label(os.path.basename(argv[0]))
    if not re.match(r"python[0-9.]*$", program):
        return program
    for index, word in enumerate(argv[1:], start=1):
        if word == "-c":
            return program
        if word == "-m" and index + 1 < len(argv):
            return _label(argv[index + 1])
        if not word.startswith("-"):
            return _label(os.path.splitext(os.path.basename(word))[0])
    return program


def _label(text: str) -> str:
    return _LABEL_UNSAFE.sub("_", text).strip("_")[:60]
