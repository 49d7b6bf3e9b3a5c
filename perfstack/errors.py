"""One error type for everything the CLI reports as a one-line message with its exit code.

Exit codes are part of the interface (CI scripts branch on them), so they are all
defined here and documented in the README. The gate's own codes 0-4 come first;
everything else has a code of its own from 10 upward.
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
    INTERRUPTED = 130


class PerfstackError(Exception):
    """An error with a one-line message and the exit code the CLI ends with."""

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message
