from __future__ import annotations

import pytest

from loadgen.locust.names import OVERFLOW_NAME, AgreedNames, NameGuard


def test_first_names_up_to_the_cap_are_kept_and_later_ones_overflow():
    overflowed: list[int] = []
    guard = NameGuard(cap=3, on_overflow=overflowed.append)
    resolved = [guard.resolve(f"/items/{i}") for i in range(10)]
    assert resolved[:3] == ["/items/0", "/items/1", "/items/2"]
    assert resolved[3:] == [OVERFLOW_NAME] * 7
    assert guard.overflow_count == sum(overflowed) == 7
    assert guard.resolve("/items/99", count=5) == OVERFLOW_NAME
    assert guard.resolve("/items/98", count=0) == OVERFLOW_NAME  # a lookup counts nothing
    assert guard.overflow_count == sum(overflowed) == 12
    assert guard.resolve("/items/1") == "/items/1"  # admitted names stay admitted
    assert guard.admitted == {"/items/0", "/items/1", "/items/2"}


def test_cap_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        NameGuard(cap=0)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_worker_holds_a_new_name_until_the_master_answers_and_asks_once():
    guard = AgreedNames(cap=2, clock=Clock())
    assert guard.resolve("/a", count=3) is None
    assert guard.resolve("/a", count=0) is None
    assert guard.take_questions() == ["/a"]
    assert guard.take_questions() == []  # asked once
    assert guard.undecided == {"/a"}
    guard.decide(["/a"], full=False)
    assert guard.resolve("/a") == "/a" and guard.undecided == frozenset()
    assert guard.overflow_count == 0


def test_once_the_master_is_full_unknown_names_overflow_without_asking():
    overflowed: list[int] = []
    guard = AgreedNames(cap=2, on_overflow=overflowed.append, clock=Clock())
    assert guard.resolve("/mine") is None
    assert guard.resolve("/late") is None
    guard.decide(["/mine", "/other-worker-s"], full=True)  # every name the master admitted
    assert guard.resolve("/mine") == "/mine"
    assert guard.resolve("/other-worker-s") == "/other-worker-s"
    assert guard.resolve("/late", count=4) == OVERFLOW_NAME
    assert guard.resolve("/never-seen", count=1) == OVERFLOW_NAME
    assert guard.take_questions() == ["/mine", "/late"]  # nothing asked after the answer
    assert guard.overflow_count == sum(overflowed) == 5
    assert guard.undecided == frozenset() and guard.decided_alone == 0


def test_a_name_unanswered_for_its_patience_is_decided_alone_within_the_local_cap():
    clock = Clock()
    guard = AgreedNames(cap=1, patience=10.0, clock=clock)
    assert guard.resolve("/a") is None and guard.resolve("/b") is None
    clock.now = 9.9
    assert guard.resolve("/a") is None
    clock.now = 10.0
    assert guard.resolve("/a", count=2) == "/a"
    assert guard.resolve("/b", count=2) == OVERFLOW_NAME  # the local cap, like a lone worker
    assert guard.decided_alone == 2 and guard.overflow_count == 2
    assert guard.undecided == frozenset()


def test_deciding_alone_settles_every_waiting_name_and_every_new_one_until_resumed():
    guard = AgreedNames(cap=2, clock=Clock())
    assert guard.resolve("/a") is None
    guard.decide_alone()  # the run ends with /a unanswered
    assert guard.undecided == frozenset() and guard.take_questions() == []
    assert guard.resolve("/a") == "/a"
    assert guard.resolve("/b") == "/b"  # not even asked
    assert guard.resolve("/c") == OVERFLOW_NAME  # the lone worker's cap of 2
    assert guard.decided_alone == 3
    guard.decide(["/c"], full=False)  # a late answer must not split /c between two labels
    assert guard.resolve("/c") == OVERFLOW_NAME


def test_a_new_test_asks_the_master_again():
    guard = AgreedNames(cap=5, clock=Clock())
    assert guard.resolve("/a") is None
    guard.decide_alone()
    guard.resume()
    assert guard.resolve("/new") is None  # waits for the master again
    assert guard.take_questions() == ["/new"]
    guard.decide(["/new"], full=False)
    assert guard.resolve("/new") == "/new" and guard.decided_alone == 1


def test_after_one_unanswered_name_the_worker_stops_asking():
    clock = Clock()
    guard = AgreedNames(cap=5, patience=10.0, clock=clock)
    assert guard.resolve("/a") is None
    clock.now = 5.0
    assert guard.resolve("/b") is None
    assert guard.take_questions() == ["/a", "/b"]
    clock.now = 10.0
    assert guard.resolve("/a") == "/a"  # the master is away: /b is not held 5 s more
    assert guard.resolve("/b") == "/b"
    assert guard.resolve("/c") == "/c"
    assert guard.take_questions() == [] and guard.decided_alone == 3


def test_the_master_answers_with_what_it_admits_and_when_full_with_every_admitted_name():
    master = NameGuard(cap=3)
    assert master.answer(["/a", "/b"]) == {"admitted": ["/a", "/b"], "full": False}
    assert master.answer(["/b"]) == {"admitted": ["/b"], "full": False}
    assert master.answer(["/c", "/d"]) == {"admitted": ["/a", "/b", "/c"], "full": True}
    assert master.overflow_count == 0  # answering counts no request
    assert master.answer(["/e"]) == {"admitted": ["/a", "/b", "/c"], "full": True}
