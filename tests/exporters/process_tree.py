"""A real process tree for tests: a python parent and N children, each holding known memory.

Every process writes `size` bytes (really touched, so RSS grows) and sleeps; the parent
prints one line `pids <parent> <child>...` once all are allocated.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from dataclasses import dataclass

CHILD = "import sys,time; b=b'x'*int(sys.argv[1]); print('ok', flush=True); time.sleep(600)"
PARENT = """
import subprocess, sys, time
size, n, marker = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
block = b'x' * size
kids = [subprocess.Popen([sys.executable, '-c', sys.argv[4], str(size), marker],
                         stdout=subprocess.PIPE) for _ in range(n)]
for kid in kids:
    kid.stdout.readline()
print('pids', *([__import__('os').getpid()] + [k.pid for k in kids]), flush=True)
time.sleep(600)
"""


@dataclass
class ProcessTree:
    process: subprocess.Popen[str]
    pids: list[int]
    marker: str

    @property
    def root(self) -> int:
        return self.pids[0]

    def kill(self) -> None:
        """SIGKILL the parent and its children (by the pids it reported)."""
        import os
        import signal

        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(10)


def spawn_tree(size: int, children: int, marker: str) -> ProcessTree:
    """`marker` goes on every command line, so tests can select the tree by --cmdline."""
    process = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(size), str(children), marker, CHILD],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().split()
    assert line and line[0] == "pids", f"process tree did not start: {line}"
    return ProcessTree(process, [int(p) for p in line[1:]], marker)
