"""One error type for everything the CLI reports as a one-line message with its exit code.

Exit codes are part of the interface (CI scripts branch on them), so they are all
defined here, with the one-line meaning the CLI's help prints (`epilog`); the README's
table says the same at more length, and a test keeps the two sets of codes equal. The
gate's own codes 0-4 come first; everything else has a code of its own from 10 upward.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    GATE_FAIL = 1
    USAGE = 2  # invalid arguments, invalid rule or scenario files
    NO_DATA = 3  # gate: no data / inconclusive
    PROMETHEUS_UNAVAILABLE = 4  # gate: Prometheus unreachable or answering errors
    BINARY_MISSING = 10
    PORT_IN_USE = 11
    SERVICE_START_FAILED = 12
    LOCUSTFILE_IMPORT = 13
    UNKNOWN_SCENARIO = 14
    BAD_TARGET_URL = 15
    BAD_CONFIG_FILE = 16
    TARGET_NOT_FOUND = 17
    STACK_NOT_RUNNING = 18
    NOTIFICATION_TIMEOUT = 19
    TARGET_ACCESS_DENIED = 20
    RECORD_NOT_WRITTEN = 21  # the run was measured and reported, its record file not written
    RUN_ENDED_EARLY = 22  # the locustfile quit the run before its planned end (record kept)
    REPORT_NOT_WRITTEN = 23  # report: the HTML file could not be written
    MASTER_UNREACHABLE = 24  # Locust master and workers did not meet in time (either side)
    STORE_REFUSED_WRITES = 25  # run, ws: the remote-write store refused samples (4xx; record kept)
    INTERRUPTED = 130


MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success / gate passed",
    ExitCode.GATE_FAIL: "gate failed",
    ExitCode.USAGE: "invalid arguments or files",
    ExitCode.NO_DATA: "gate: no data (inconclusive)",
    ExitCode.PROMETHEUS_UNAVAILABLE: "Prometheus unreachable or answering errors",
    ExitCode.BINARY_MISSING: "a required binary is missing",
    ExitCode.PORT_IN_USE: "port in use",
    ExitCode.SERVICE_START_FAILED: "a service failed to start",
    ExitCode.LOCUSTFILE_IMPORT: "locustfile import error",
    ExitCode.UNKNOWN_SCENARIO: "unknown scenario",
    ExitCode.BAD_TARGET_URL: "bad target URL",
    ExitCode.BAD_CONFIG_FILE: "bad config file",
    ExitCode.TARGET_NOT_FOUND: "target process not found",
    ExitCode.STACK_NOT_RUNNING: "stack not (fully) running",
    ExitCode.NOTIFICATION_TIMEOUT: "alerts listen: timed out before the expected notifications",
    ExitCode.TARGET_ACCESS_DENIED: "permission denied reading a target process",
    ExitCode.RECORD_NOT_WRITTEN: "the run record could not be written (results were printed)",
    ExitCode.RUN_ENDED_EARLY: "run: the locustfile quit the run before its planned end",
    ExitCode.REPORT_NOT_WRITTEN: "report: the HTML report file could not be written",
    ExitCode.MASTER_UNREACHABLE: "Locust master and workers did not meet within the timeout",
    ExitCode.STORE_REFUSED_WRITES: "run, ws: the store refused remote writes (samples counted)",
    ExitCode.INTERRUPTED: "interrupted",
}


def epilog(meanings: dict[ExitCode, str] = MEANINGS) -> str:
    """The "exit codes:" block of a command's --help, one code per line."""
    lines = [f"  {int(code):>3}  {meanings[code]}" for code in sorted(meanings)]
    return "exit codes:\n" + "\n".join(lines) + "\n"


class PerfstackError(Exception):
    """An error with a one-line message and the exit code the CLI ends with."""

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message
