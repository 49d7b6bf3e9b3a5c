"""Where the request recorder listens: in one handler with Locust's own statistics.

Locust's `EventHook.fire` calls every listener with keyword arguments, and a second
`request` listener costs a fresh dict of nine arguments bound by name per request: in a
tight loop about 0.35 us, four fifths of what the plugin's recording costs in all. So
where the runner's statistics listener has the shape this module knows (Locust 2.x:
`Runner.__init__`'s `on_request(request_type, name, response_time, response_length,
exception=None, **_kwargs)`), it is replaced in place by one handler that calls it and
then the recorder with positional arguments. Locust's statistics still see every request
first and exactly as before, an exception from either still reaches `fire` to be logged,
and the recorder still runs when Locust's listener raises. Any other shape (another
Locust version, a runner without statistics) gets a plain second listener instead.

One difference from a plain second listener: the recorder now runs right after Locust's
listener, before listeners added later. When one of those stops the user (`StopUser`,
`RescheduleTask` and the like propagate out of `fire`), the request is still recorded,
as Locust's statistics already counted it; before, the recorder missed it.
"""

from __future__ import annotations

import dis
import inspect
import logging
from collections.abc import Callable
from types import CodeType
from typing import Any, Protocol

RUNNER_MODULE = "locust.runners"
RUNNER_LISTENER = "Runner.__init__.<locals>.on_request"
RUNNER_PARAMETERS = ("request_type", "name", "response_time", "response_length", "exception")

Listener = Callable[..., None]
log = logging.getLogger("perfstack")


class Hook(Protocol):
    """What of Locust's EventHook this module uses (kept duck-typed, so that importing it
    does not import Locust, which patches the standard library)."""

    _handlers: list[Listener]

    def add_listener(self, handler: Listener) -> Listener: ...

    def remove_listener(self, handler: Listener) -> None: ...


def is_runner_stats_listener(handler: object) -> bool:
    """True for Locust's own statistics listener in the shape `merged` calls it with: its
    five named parameters (`exception` defaulting to None, the others required) and a
    `**` catch-all it never reads, since `merged` passes it nothing."""
    if (
        getattr(handler, "__qualname__", None) != RUNNER_LISTENER
        or getattr(handler, "__module__", None) != RUNNER_MODULE
        or not isinstance(getattr(handler, "__code__", None), CodeType)
    ):
        return False
    parameters = list(inspect.signature(handler).parameters.values())  # type: ignore[arg-type]
    named = [p for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    rest = [p for p in parameters if p.kind is not p.POSITIONAL_OR_KEYWORD]
    if tuple(p.name for p in named) != RUNNER_PARAMETERS or [p.kind for p in rest] != [
        inspect.Parameter.VAR_KEYWORD
    ]:
        return False
    if [p.default for p in named] != [inspect.Parameter.empty] * 4 + [None]:
        return False
    catch_all = rest[0].name
    return not any(
        instruction.argval == catch_all
        for instruction in dis.get_instructions(handler.__code__)  # type: ignore[attr-defined]
        if instruction.opname.startswith("LOAD")
    )


_ABSENT: Any = object()


def merged(stats_listener: Listener, record: Listener) -> Listener:
    """One `request` handler running `stats_listener`, then `record(request_type, name,
    response_time, response_length, response, context, exception)` (the recorder does not
    read the length: it gets 0)."""

    def on_request(
        request_type: str,
        name: str,
        response_time: float,
        response_length: int = _ABSENT,
        response: Any = None,
        context: Any = None,
        exception: BaseException | None = None,
        start_time: float | None = None,
        url: str | None = None,
        **_: Any,
    ) -> None:
        # every argument Locust passes is named, so the call builds no `**` dict
        try:
            if response_length is _ABSENT:  # Locust's listener requires it: let it raise
                stats_listener(request_type=request_type, name=name, response_time=response_time)
            else:
                stats_listener(request_type, name, response_time, response_length, exception)
        except BaseException:
            # Locust's exception, not the recorder's, is what reaches EventHook.fire
            try:
                record(request_type, name, response_time, 0, response, context, exception)
            except Exception:
                log.exception("perfstack's request recorder failed")
            raise
        record(request_type, name, response_time, 0, response, context, exception)

    on_request.stats_listener = stats_listener  # type: ignore[attr-defined]
    return on_request


class RecorderListener:
    """The recorder's place on a `request` hook; `attach` and `detach` may alternate."""

    def __init__(self, hook: Hook, record: Listener) -> None:
        self._hook = hook
        self._record = record
        self._attached: Listener | None = None

    @property
    def merged(self) -> bool:
        return self._attached is not None and self._attached is not self._record

    def attach(self) -> None:
        if self._attached is not None:
            return
        handlers = self._hook._handlers
        found = [i for i, handler in enumerate(handlers) if is_runner_stats_listener(handler)]
        if len(found) == 1:
            self._attached = merged(handlers[found[0]], self._record)
            handlers[found[0]] = self._attached
        else:
            self._attached = self._hook.add_listener(self._record)

    def detach(self) -> None:
        """Restore the hook as it was: Locust's own listener back in its place."""
        attached, self._attached = self._attached, None
        if attached is None:
            return
        handlers = self._hook._handlers
        if attached not in handlers:
            return
        if attached is self._record:
            self._hook.remove_listener(attached)
        else:
            handlers[handlers.index(attached)] = attached.stats_listener  # type: ignore[attr-defined]
