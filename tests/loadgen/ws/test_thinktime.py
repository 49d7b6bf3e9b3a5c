from __future__ import annotations

import random
import statistics

import pytest

from loadgen.ws.thinktime import ThinkTime, ThinkTimeError


def test_fixed_with_or_without_kind() -> None:
    assert ThinkTime.parse("200ms") == ThinkTime.parse("fixed:0.2") == ThinkTime("fixed", 0.2, 0.2)
    assert ThinkTime.parse("1s").sample(random.Random(1)) == 1.0


def test_uniform_stays_within_bounds() -> None:
    think = ThinkTime.parse("uniform:100ms:300ms")
    rng = random.Random(7)
    samples = [think.sample(rng) for _ in range(2000)]
    assert min(samples) >= 0.1 and max(samples) <= 0.3
    assert statistics.mean(samples) == pytest.approx(0.2, rel=0.05)


def test_exponential_has_the_given_mean() -> None:
    think = ThinkTime.parse("exponential:200ms")
    rng = random.Random(3)
    samples = [think.sample(rng) for _ in range(20000)]
    assert statistics.mean(samples) == pytest.approx(0.2, rel=0.05)
    assert ThinkTime.parse("exp:0").sample(rng) == 0.0


@pytest.mark.parametrize(
    "spec", ["uniform:3s:1s", "uniform:1s", "gaussian:1s", "fixed:soon", "exponential:1s:2s"]
)
def test_malformed_think_times(spec: str) -> None:
    with pytest.raises(ThinkTimeError, match=spec.split(":")[0]):
        ThinkTime.parse(spec)
