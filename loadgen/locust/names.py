"""Cardinality guard for the request `name` label.

Locust uses the URL path as the name when a task gives none, so a test that
requests `/items/<id>` would create one series per id. The guard admits the first
`cap` distinct names and maps every later one to `_other_`, counting each overflow. With
Locust workers, the master's guard decides for all of them (`AgreedNames`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

OVERFLOW_NAME = "_other_"
DEFAULT_MAX_NAMES = 200


class NameGuard:
    def __init__(
        self, cap: int = DEFAULT_MAX_NAMES, on_overflow: Callable[[int], object] | None = None
    ):
        if cap < 1:
            raise ValueError(f"name cap must be at least 1, got {cap}")
        self.cap = cap
        self._admitted: set[str] = set()
        self._on_overflow = on_overflow
        self.overflow_count = 0

    def resolve(self, name: str, count: int = 1) -> str:
        """The label value to record `count` requests named `name` under (0: just look up)."""
        if name in self._admitted:
            return name
        if len(self._admitted) < self.cap:
            self._admitted.add(name)
            return name
        return self.overflow(count)

    def overflow(self, count: int) -> str:
        """Count `count` requests recorded as `_other_`, and give that label."""
        if count:
            self.overflow_count += count
            if self._on_overflow is not None:
                self._on_overflow(count)
        return OVERFLOW_NAME

    @property
    def admitted(self) -> frozenset[str]:
        return frozenset(self._admitted)

    def answer(self, names: Iterable[str]) -> dict[str, Any]:
        """The master's answer to a worker asking about `names` (see AgreedNames.decide):
        those it admits; once the cap is full, every name it ever admitted."""
        admitted = [name for name in names if self.resolve(name, 0) == name]
        if len(self._admitted) >= self.cap:
            return {"admitted": sorted(self._admitted), "full": True}
        return {"admitted": admitted, "full": False}


class AgreedNames:
    """A Locust worker's side of one name cap shared by all workers.

    Workers that each capped their own names would together export up to workers x cap
    label values. So a worker admits a name only once the master has: a new name is
    undecided (`resolve` gives None, and the caller holds its requests back) until the
    master answers (`decide`). Once the master's cap is full it sends every name it
    admitted, and from then on the worker decides at once: those names, else `_other_`.
    When a name is not answered within `patience` seconds (the master away, or without
    the plugin), the worker decides alone for the rest of the test, as a lone worker's cap
    would, and counts such names in `decided_alone`, so no request is held back for ever
    (per-name figures may then disagree between workers).
    """

    def __init__(
        self,
        cap: int = DEFAULT_MAX_NAMES,
        on_overflow: Callable[[int], object] | None = None,
        patience: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # admits what this worker decides alone, and counts every overflow
        self._local = NameGuard(cap, on_overflow)
        self._admitted: set[str] = set()
        self._full = False
        self._alone = False
        self._asked_at: dict[str, float] = {}
        self._to_ask: list[str] = []
        self._patience, self._clock = patience, clock
        self.decided_alone = 0

    @property
    def overflow_count(self) -> int:
        return self._local.overflow_count

    def resolve(self, name: str, count: int = 1) -> str | None:
        """The label value for `count` requests named `name`; None while the master has not
        answered (count 0: look up without counting an overflow)."""
        if name in self._admitted:
            return name
        if not self._full:
            if self._waiting(name):
                return None
            if name in self._admitted:  # admitted alone
                return name
        return self._local.overflow(count)

    def _waiting(self, name: str) -> bool:
        """True while `name` waits for the master's answer; False once it is decided alone."""
        if not self._alone:
            asked = self._asked_at.get(name)
            if asked is None:
                self._asked_at[name] = self._clock()
                self._to_ask.append(name)
                return True
            if self._clock() - asked < self._patience:
                return True
            self.decide_alone()  # the master is not answering; `name` is decided with the rest
            return False
        self._decide_one_alone(name)
        return False

    def _decide_one_alone(self, name: str) -> None:
        self._asked_at.pop(name, None)
        self.decided_alone += 1
        if self._local.resolve(name, 0) == name:
            self._admitted.add(name)
        else:
            self._full = True  # a lone worker's cap is full: every later new name overflows

    def decide_alone(self) -> None:
        """Decide every waiting name here, and every new one until `resume`; answers that
        come meanwhile are ignored, so no name is split between `_other_` and itself.
        For the end of a run, and for a master that does not answer."""
        self._alone = True
        for name in list(self._asked_at):
            self._decide_one_alone(name)
        self._to_ask.clear()

    def resume(self) -> None:
        """Ask the master again (a new test started in the same process)."""
        self._alone = False

    def take_questions(self) -> list[str]:
        """The new names to ask the master about, each once."""
        questions, self._to_ask = self._to_ask, []
        return questions

    def decide(self, admitted: Iterable[str], full: bool) -> None:
        """The master's answer: names it admitted; `full`: it admits no more, and
        `admitted` then holds every name it ever admitted."""
        if self._alone:
            return
        for name in admitted:
            self._admitted.add(name)
            self._local.resolve(name, 0)
            self._asked_at.pop(name, None)
        if full:
            self._full = True
            self._asked_at.clear()

    @property
    def undecided(self) -> frozenset[str]:
        return frozenset(self._asked_at)

    @property
    def admitted(self) -> frozenset[str]:
        return frozenset(self._admitted)
