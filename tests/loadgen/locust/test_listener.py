"""The recorder's `request` listener, merged with Locust's own statistics listener.

Locust patches the standard library when imported, so the runs against a real Locust
runner happen in a child process, which prints what it saw as JSON."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from loadgen.locust.listener import RecorderListener, is_runner_stats_listener, merged

REPOSITORY = Path(__file__).resolve().parents[3]
LOCUST_RUNNER = """
import json, logging, sys
from locust.env import Environment
from perfstack.metrics.registry import Registry
from loadgen.locust.listener import RecorderListener
from loadgen.locust.recorder import RequestRecorder

logged = []

class Kept(logging.Handler):
    def emit(self, record):
        logged.append(record.getMessage())

logging.getLogger().addHandler(Kept())
environment = Environment()
environment.create_local_runner()
hook = environment.events.request
original = list(hook._handlers)
recorder = RequestRecorder(Registry(), 200)
listener = RecorderListener(hook, recorder.on_request)

class Response:
    def __init__(self, status_code=200):
        self.status_code = status_code

def fire(name, **extra):
    arguments = {"request_type": "GET", "name": name, "response_time": 12.5,
                 "response_length": 3, "response": Response(), "context": {},
                 "exception": None, "start_time": 1.0, "url": "http://127.0.0.1/"}
    arguments.update(extra)
    hook.fire(**{k: v for k, v in arguments.items() if v is not DROP})

DROP = object()
out = {}
listener.attach()
out["merged"] = listener.merged
out["handlers_same_length"] = len(hook._handlers) == len(original)
{actions}
recorder.flush()
out["locust"] = {f"{m} {n}": [e.num_requests, e.num_failures]
                 for (n, m), e in environment.stats.entries.items()}
out["recorded"] = {name: [t.requests, t.failures] for name, t in recorder.totals.items()}
out["series"] = sorted(" ".join(key) for key in recorder.histogram._series)
out["logged"] = logged
print(json.dumps(out))
"""


def run_locust_runner(actions: str) -> dict[str, Any]:
    script = LOCUST_RUNNER.replace("{actions}", actions)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
        cwd=REPOSITORY, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_merged_with_the_runner_listener_both_count_every_request():
    out = run_locust_runner(
        "for i in range(5): fire('/a')\n"
        "fire('/a', exception=ConnectionRefusedError(), response=Response(503))\n"
        "fire('/b', request_type='POST', extra_argument=1)\n"
    )
    assert out["merged"] is True  # the installed Locust's listener is recognised
    assert out["handlers_same_length"] is True  # replaced in place, not added
    assert out["locust"] == {"GET /a": [6, 1], "POST /b": [1, 0]}
    assert out["recorded"] == {"/a": [6, 1], "/b": [1, 0]}
    assert out["series"] == ["/a GET 200", "/a GET 503", "/b POST 200"]  # status passed on
    assert out["logged"] == []


def test_a_later_listener_stopping_the_user_no_longer_hides_the_request():
    # fire() lets StopUser through and skips the listeners after the one that raised;
    # the recorder runs with Locust's own listener, so both still count the request
    out = run_locust_runner(
        "from locust.exception import StopUser\n"
        "def stop_on_failure(exception=None, **_):\n"
        "    if exception is not None: raise StopUser()\n"
        "listener.detach()\n"
        "hook.add_listener(stop_on_failure)\n"
        "listener.attach()\n"
        "fire('/a')\n"
        "try:\n"
        "    fire('/a', exception=RuntimeError('bad'))\n"
        "except StopUser:\n"
        "    out['stopped'] = True\n"
    )
    assert out["stopped"] is True
    assert out["locust"] == {"GET /a": [2, 1]}
    assert out["recorded"] == {"/a": [2, 1]}


def test_the_recorder_still_counts_when_locusts_listener_raises():
    out = run_locust_runner(
        "fire('/ok')\n"
        "fire('/no-length', response_length=DROP)\n"  # Locust's listener requires it
        "log = environment.stats.log_request\n"
        "def broken(method, name, *rest):\n"
        "    if name == '/broken': raise RuntimeError('stats broke')\n"
        "    log(method, name, *rest)\n"
        "environment.stats.log_request = broken\n"
        "fire('/broken')\n"
        "fire('/ok')\n"
    )
    assert out["locust"] == {"GET /ok": [2, 0]}
    assert out["recorded"] == {"/ok": [2, 0], "/no-length": [1, 0], "/broken": [1, 0]}
    assert len(out["logged"]) == 2  # both raised into EventHook.fire, which logs them
    assert "response_length" in out["logged"][0] and "stats broke" in out["logged"][1]


def test_detach_restores_locusts_listener_and_attach_merges_again():
    out = run_locust_runner(
        "fire('/a')\n"
        "listener.detach()\n"
        "out['restored'] = hook._handlers == original\n"
        "fire('/a')\n"
        "listener.detach()\n"  # a second detach changes nothing
        "listener.attach()\n"
        "out['merged_again'] = listener.merged and len(hook._handlers) == len(original)\n"
        "fire('/a')\n"
    )
    assert out["restored"] is True and out["merged_again"] is True
    assert out["locust"] == {"GET /a": [3, 0]}
    assert out["recorded"] == {"/a": [2, 0]}  # the request fired while detached is not


def test_without_the_runner_listener_the_recorder_is_a_plain_second_listener():
    out = run_locust_runner(
        "listener.detach()\n"
        "hook._handlers[:] = []\n"
        "listener.attach()\n"
        "out['plain'] = not listener.merged and hook._handlers == [recorder.on_request]\n"
        "fire('/a')\n"
        "listener.detach()\n"
        "out['removed'] = hook._handlers == []\n"
    )
    assert out["plain"] is True and out["removed"] is True
    assert out["recorded"] == {"/a": [1, 0]}
    assert out["locust"] == {}


def _runner_shaped(function: Any) -> Any:
    function.__qualname__ = "Runner.__init__.<locals>.on_request"
    function.__module__ = "locust.runners"
    return function


def test_only_the_known_shape_counts_as_locusts_listener():
    def known(request_type, name, response_time, response_length, exception=None, **_kwargs):
        pass

    def more(request_type, name, response_time, response_length, context, exception=None, **kw):
        pass

    def closed(request_type, name, response_time, response_length, exception=None):
        pass

    assert is_runner_stats_listener(_runner_shaped(known))
    assert not is_runner_stats_listener(known.__code__)  # no signature
    assert not is_runner_stats_listener(_runner_shaped(more))
    assert not is_runner_stats_listener(_runner_shaped(closed))

    def elsewhere(request_type, name, response_time, response_length, exception=None, **_):
        pass

    assert not is_runner_stats_listener(elsewhere)  # right shape, someone else's function
    elsewhere.__qualname__ = "Runner.__init__.<locals>.on_request"
    assert not is_runner_stats_listener(elsewhere)  # the right name in another module

    def reads_the_rest(request_type, name, response_time, response_length, exception=None, **kw):
        print(kw.get("context"))

    def length_optional(request_type, name, response_time, response_length=0, exception=None, **_):
        pass

    assert not is_runner_stats_listener(_runner_shaped(reads_the_rest))  # merged passes none
    assert not is_runner_stats_listener(_runner_shaped(length_optional))


class _Stop(BaseException):  # like Locust's StopUser, which EventHook.fire lets through
    pass


def test_locusts_exception_reaches_fire_and_the_recorder_still_records(caplog):
    recorded: list[str] = []

    def stats(*_: Any) -> None:
        raise _Stop()

    def record(request_type: str, name: str, *_: Any) -> None:
        recorded.append(name)

    with pytest.raises(_Stop):
        merged(stats, record)(request_type="GET", name="/a", response_time=1.0, response_length=0)
    assert recorded == ["/a"]

    def broken_record(*_: Any) -> None:
        raise RuntimeError("recorder broke")

    with caplog.at_level(logging.ERROR, logger="perfstack"), pytest.raises(_Stop):
        merged(stats, broken_record)(
            request_type="GET", name="/a", response_time=1.0, response_length=0
        )
    assert "request recorder failed" in caplog.text and "recorder broke" in caplog.text


def test_merged_passes_locust_and_the_recorder_what_fire_gave():
    seen: list[tuple[str, tuple[Any, ...]]] = []

    def stats(*args: Any) -> None:
        seen.append(("stats", args))

    def record(*args: Any) -> None:
        seen.append(("record", args))

    error, response, context = ValueError("x"), object(), {"k": 1}
    merged(stats, record)(
        request_type="GET", name="/a", response_time=4.0, response_length=7,
        response=response, context=context, exception=error, start_time=1.0, url="u", more=1,
    )  # fmt: skip
    assert seen == [
        ("stats", ("GET", "/a", 4.0, 7, error)),
        ("record", ("GET", "/a", 4.0, 0, response, context, error)),
    ]


class _Hook:
    def __init__(self, handlers: list[Any]) -> None:
        self._handlers = handlers

    def add_listener(self, handler: Any) -> Any:
        self._handlers.append(handler)
        return handler

    def remove_listener(self, handler: Any) -> None:
        self._handlers.remove(handler)


def test_attach_twice_attaches_once():
    def record(*_: Any) -> None:
        pass

    hook = _Hook([])
    listener = RecorderListener(hook, record)
    listener.attach()
    listener.attach()
    assert hook._handlers == [record]
