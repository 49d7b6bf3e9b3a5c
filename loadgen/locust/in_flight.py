"""Requests still in flight when the run stops: found, and reported as failures.

Locust fires its `request` event only when a request completes. When the run stops it
kills the users with `GreenletExit` wherever they wait, typically inside a read that a
stalled target never answers, and that request was never reported: a stall outlasting
the run vanished from every figure.

Nothing is added per request. Both clients' `request` methods (HttpSession and
FastHttpSession) keep the request's start in a local (`start_perf_counter`) until they
fire the event, so a request is in flight exactly when one of their frames is on a
user's stack with that local set and no `EventHook.fire` frame above it. Three moments
look at those frames:

- When the run starts stopping (`StopWatch.let_land`, on Locust's `test_stopping`): the
  requests in flight get up to STOP_GRACE_SECONDS to complete, so a healthy run's last
  requests count as what they are; requests started after this moment are not counted.
- When a user is killed while the run stops: `User.run` (final in Locust) calls the
  user's `on_stop` inside its `except GreenletExit`, while the exception's traceback
  still holds every frame it unwound. `install` wraps `User.run`, so that each user's
  `on_stop` first fires the `request` event for the request it was killed in, with
  `RequestInFlightAtStop` as the exception and the time from its start to the kill as
  its response time. Locust's statistics and perfstack's recorder count it like any
  other failure (error type `in_flight_at_stop`).
- Once a second for the live view: the suspended frames of the user greenlets
  (`live_flights`), for the number in flight and the oldest one's age.

Not counted: requests cut by a ramp-down removing users (as in Locust), requests made
from greenlets a task spawns itself (Locust never kills those), a `catch_response=True`
request whose response arrived but whose `with` block was interrupted (the exchange
completed; Locust drops the verdict), and `stream=True` bodies read after `request`
returned.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import urlsplit

from gevent import GreenletExit

log = logging.getLogger("perfstack")

START_LOCAL = "start_perf_counter"  # set by both clients just before the request is sent
STOP_GRACE_SECONDS = 1.0  # how long the requests in flight when the run stops may still land
INSTALLED = "_perfstack_in_flight"


class RequestInFlightAtStop(Exception):
    """The exception a request killed in flight is reported with. Its text is constant so
    that Locust groups all of them as one failure entry."""

    def __init__(self) -> None:
        super().__init__("request still in flight when its user was stopped")


@dataclass(frozen=True)
class Flight:
    """A request in flight: enough to fire Locust's `request` event for it."""

    session: Any
    method: str
    name: str
    url: str
    start_time: float
    started: float  # time.perf_counter() at its start
    context: dict[str, Any]

    def event_arguments(self, now: float) -> dict[str, Any]:
        return {
            "request_type": self.method,
            "name": self.name,
            "response_time": max(0.0, (now - self.started) * 1000.0),
            "response_length": 0,
            "response": None,
            "context": self.context,
            "exception": RequestInFlightAtStop(),
            "start_time": self.start_time,
            "url": self.url,
        }


class FrameCodes:
    """The code objects that mark a request in a stack: the clients' `request` methods,
    Locust's `EventHook.fire`, and requests' `Session.request` (which holds the prepared
    request Locust takes HttpSession's default name from)."""

    def __init__(self) -> None:
        import requests
        from locust.clients import HttpSession
        from locust.contrib.fasthttp import FastHttpSession
        from locust.event import EventHook

        self.http: Any = HttpSession.request.__code__
        self.fast: Any = FastHttpSession.request.__code__
        self.fire: Any = EventHook.fire.__code__
        self.prepare: Any = requests.Session.request.__code__

    def requests_in_flight(self, frames: list[FrameType]) -> Iterator[tuple[int, bool]]:
        """(index, is HttpSession) of each request frame in flight in a stack given
        outermost frame first: sent (its start set) and not being reported yet."""
        for index, frame in enumerate(frames):
            code = frame.f_code
            if code is not self.http and code is not self.fast:
                continue
            if not isinstance(frame.f_locals.get(START_LOCAL), float):
                continue  # not sent yet
            if any(f.f_code is self.fire for f in frames[index + 1 :]):
                continue  # the request is being reported already
            yield index, code is self.http

    def flights(self, frames: list[FrameType]) -> Iterator[Flight]:
        for index, http in self.requests_in_flight(frames):
            yield self._flight(frames[index], frames[index + 1 :], http)

    def _flight(self, frame: FrameType, inner: list[FrameType], http: bool) -> Flight:
        local = frame.f_locals
        session = local.get("self")
        url = str(local.get("complete_url" if http else "built_url") or local.get("url") or "")
        name = local.get("name")
        if not name:  # Locust's default name, as each client computes it after the response
            name = self._path_url(inner, url) if http else local.get("url")
        context = local.get("context")
        context = dict(context) if isinstance(context, dict) else {}
        if http:  # HttpSession adds the user's context after the response; FastHttp before
            context = {**_user_context(session), **context}
        start_time = local.get("start_time")
        return Flight(
            session=session,
            method=local.get("method"),  # type: ignore[arg-type]
            name=name,  # type: ignore[arg-type]
            url=url,
            start_time=start_time if isinstance(start_time, float) else time.time(),
            started=local[START_LOCAL],
            context=context,
        )

    def _path_url(self, inner: list[FrameType], url: str) -> str:
        """HttpSession names a request by its first prepared request's `path_url` (query
        parameters included); without one, the same from the URL."""
        for frame in inner:
            if frame.f_code is self.prepare:
                path_url = getattr(frame.f_locals.get("prep"), "path_url", None)
                if isinstance(path_url, str):
                    return path_url
        parts = urlsplit(url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _user_context(session: Any) -> dict[str, Any]:
    user = getattr(session, "user", None)
    if user is None:
        return {}
    try:
        context = user.context()
    except Exception:  # the user's own code: never let it hide the failure
        log.exception("perfstack: the user's context() failed for a request in flight")
        return {}
    return dict(context) if isinstance(context, dict) else {}


def traceback_frames(tb: TracebackType | None) -> list[FrameType]:
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def stack_frames(frame: FrameType | None) -> list[FrameType]:
    frames = []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    frames.reverse()
    return frames


def report(flights: Iterable[Flight]) -> int:
    """Fire each flight's `request` event on its session's hook; the number fired."""
    now, fired = time.perf_counter(), 0
    for flight in flights:
        hook = getattr(flight.session, "request_event", None)
        if hook is None:
            continue
        hook.fire(**flight.event_arguments(now))
        fired += 1
    return fired


def run_is_stopping(user: Any) -> bool:
    """True while Locust stops the whole run (`Runner.stop` sets this state before it
    stops the users), False for a ramp-down removing some users."""
    from locust.runners import STATE_CLEANUP

    runner = getattr(getattr(user, "environment", None), "runner", None)
    return getattr(runner, "state", None) == STATE_CLEANUP


class StopWatch:
    """When the run began stopping, and the requests in flight then.

    Only requests already in flight when the run began stopping are counted: one a user
    starts during the grace (its think time ended, or its task goes on to its next
    request) belongs to after the run's end, and is cut as Locust cuts it. A stall shows
    in the requests that were waiting when the run stopped."""

    def __init__(self, codes: FrameCodes) -> None:
        self.codes = codes
        self.stopping_at: float | None = None  # time.perf_counter(); None: count all

    def let_land(self, greenlets: Callable[[], Iterable[Any]]) -> InFlight:
        """On `test_stopping`: wait up to STOP_GRACE_SECONDS for the requests in flight
        now to complete (a healthy run's last requests take milliseconds); returns what
        is still in flight then, to be counted when the users are killed."""
        import gevent

        self.stopping_at = time.perf_counter()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while True:
            left = live_flights(self.codes, greenlets(), started_before=self.stopping_at)
            if not left.count or time.monotonic() >= deadline:
                return left
            gevent.sleep(0.01)

    def killed(self, error: GreenletExit, user: Any) -> int:
        """A user killed while the run stops: report its request in flight, if any."""
        if not run_is_stopping(user):
            return 0
        cutoff = self.stopping_at
        flights = self.codes.flights(traceback_frames(error.__traceback__))
        return report(f for f in flights if cutoff is None or f.started <= cutoff)

    def reporting_on_stop(self, user: Any, on_stop: Callable[[], Any]) -> Callable[[], Any]:
        def stopping() -> Any:
            error = sys.exc_info()[1]
            if isinstance(error, GreenletExit):
                try:
                    self.killed(error, user)
                except Exception:
                    log.exception("perfstack: could not report a request in flight at stop")
            return on_stop()

        return stopping


def install(watch: StopWatch) -> bool:
    """Wrap `locust.User.run` (once per process) so that each user's `on_stop` reports
    the request it was killed in. False when Locust's `User.run` is not the one this
    module knows (nothing installed then)."""
    from locust.user.users import User

    original: Any = User.__dict__.get("run")
    if getattr(original, INSTALLED, False):
        return True
    if original is None or original.__qualname__ != "User.run":
        log.warning("perfstack: unknown locust User.run: requests in flight at stop are lost")
        return False

    def run(user: Any) -> Any:
        user.on_stop = watch.reporting_on_stop(user, user.on_stop)
        return original(user)

    setattr(run, INSTALLED, True)
    run.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(User, "run", run)  # noqa: B010 (User.run is declared final)
    return True


def uninstall() -> None:
    from locust.user.users import User

    run: Any = User.__dict__.get("run")
    if getattr(run, INSTALLED, False):
        setattr(User, "run", run.__wrapped__)  # noqa: B010 (User.run is declared final)


@dataclass(frozen=True)
class InFlight:
    count: int = 0
    oldest_seconds: float | None = None  # age of the oldest request in flight


def live_flights(
    codes: FrameCodes, greenlets: Iterable[Any], started_before: float | None = None
) -> InFlight:
    """The requests in flight now, from the suspended frames of the user greenlets; only
    those started before `started_before` (a perf_counter reading) when given."""
    now, count, oldest = time.perf_counter(), 0, None
    for greenlet in list(greenlets):
        frame = getattr(greenlet, "gr_frame", None)
        if frame is None:
            continue
        frames = stack_frames(frame)
        for index, _ in codes.requests_in_flight(frames):
            started = frames[index].f_locals[START_LOCAL]
            if started_before is not None and started > started_before:
                continue
            count += 1
            age = max(0.0, now - started)
            oldest = age if oldest is None else max(oldest, age)
    return InFlight(count, oldest)
