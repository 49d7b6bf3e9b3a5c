from __future__ import annotations

import pytest

from loadgen.names import OVERFLOW_NAME, NameGuard


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
