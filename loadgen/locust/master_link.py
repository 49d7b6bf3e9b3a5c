"""A worker's bounded wait for its Locust master, ended by one line and its own exit code.

Locust's worker (2.x) sends `client_ready` and waits 5 s for the answer, 61 times (about
five minutes) before it gives up with `Failed to connect to the Locust master: ` and an
empty reason, exit code 255: a worker pointed at the wrong host or port, or started for a
master that never came, looks like a hung job for five minutes. The plugin wraps the
creation of the worker runner (the connection happens inside it, before any Locust event
the plugin could listen to): Locust's own retry loop runs with our deadline
(`--perfstack-master-connect-timeout`, default 60 s), and its give-up becomes a line naming
the flags and the address tried, with ExitCode.MASTER_UNREACHABLE. The worker measured
nothing by then (its users and its pusher start with the master's first spawn).

The master's side of the same failure is Locust's `--expect-workers-max-wait`: `perfstack
run` recognises its log line (`workers_missing_message`), keeps the record and ends with
the same exit code.
"""

from __future__ import annotations

import math
import sys
from typing import Any, NoReturn

from loadgen.locust.settings import PluginSettings
from perfstack.core.errors import ExitCode

DEFAULT_TIMEOUT = 60.0
_ATTEMPT_SECONDS = 5.0  # Locust's own wait per `client_ready`; each attempt sends one again


def unreachable_message(host: str, port: int, timeout: float) -> str:
    return (
        f"worker: no Locust master answered at {host}:{port} within {timeout:g} s "
        "(--master-host/--master-port; wait set by --perfstack-master-connect-timeout): "
        "expected a running `locust --master` (or `perfstack run ... -- --master`) that this "
        "host can reach; nothing was measured"
    )


# what Locust's master logs when `--expect-workers-max-wait` ran out before every worker came
MASTER_GAVE_UP = "Gave up waiting for workers to connect"
WORKERS_MISSING = "workers_missing"  # the record's `extra` key `perfstack run` marks it with


def workers_missing_message(locust_log: str) -> str | None:
    """The same failure seen from the master's side, from its Locust log (None if not it)."""
    if MASTER_GAVE_UP not in locust_log:
        return None
    return (
        "master: not every worker of --expect-workers connected within "
        "--expect-workers-max-wait (Locust: 'Gave up waiting for workers to connect'): "
        "expected workers started with --master-host set to an address of this host that "
        "they can reach (and --master-port if not 5557); nothing was measured"
    )


def retries_for(timeout: float) -> tuple[float, int]:
    """(seconds per attempt, Locust's CONNECT_RETRY_COUNT) so the attempts add up to
    `timeout`: Locust makes retry count + 1 attempts before it raises."""
    attempt = min(_ATTEMPT_SECONDS, timeout)
    return attempt, max(0, math.ceil(timeout / attempt - 1e-9) - 1)


def install() -> None:
    """Wraps Environment.create_worker_runner once per process. (Locust is imported here,
    not at the top, so the tests can read this module without gevent's monkeypatching.)"""
    from locust import runners
    from locust.env import Environment

    original = Environment.create_worker_runner
    if getattr(original, "_perfstack_bounded", False):
        return

    def create_worker_runner(self: Any, master_host: str, master_port: int) -> Any:
        if PluginSettings.from_options(self.parsed_options).disabled:
            return original(self, master_host, master_port)  # Locust as it comes
        timeout = _timeout(self.parsed_options)
        if timeout <= 0:
            _fail(
                f"--perfstack-master-connect-timeout {timeout:g}: expected seconds > 0",
                ExitCode.USAGE,
            )
        saved = runners.CONNECT_TIMEOUT, runners.CONNECT_RETRY_COUNT
        # read by Locust at each attempt; restored so a later reconnect (master restarted)
        # keeps Locust's own patience
        runners.CONNECT_TIMEOUT, runners.CONNECT_RETRY_COUNT = retries_for(timeout)  # type: ignore[assignment]
        try:
            return original(self, master_host, master_port)
        except ConnectionError:
            _fail(
                unreachable_message(master_host, master_port, timeout),
                ExitCode.MASTER_UNREACHABLE,
            )
        finally:
            runners.CONNECT_TIMEOUT, runners.CONNECT_RETRY_COUNT = saved

    create_worker_runner._perfstack_bounded = True  # type: ignore[attr-defined]
    Environment.create_worker_runner = create_worker_runner  # type: ignore[method-assign]


def _timeout(options: Any) -> float:
    """Locust's parser already refused a value that is not a number."""
    value = getattr(options, "perfstack_master_connect_timeout", None)
    return DEFAULT_TIMEOUT if value is None else float(value)


def _fail(message: str, code: ExitCode) -> NoReturn:
    # the CLI's one-line form (perfstack/cli.py); raised inside Locust's main(), whose
    # `except OSError` lets SystemExit through
    sys.stderr.write(f"perfstack: error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(int(code))
