"""Latency distribution specs: parsing, rejection, and the shape of the samples."""

from __future__ import annotations

import random
import statistics

import pytest

from demo.latency import MAX_SAMPLE_MS, DistributionError, LatencyDistribution


@pytest.mark.parametrize(
    ("spec", "kind", "params"),
    [
        ("fixed:50", "fixed", (50.0,)),
        ("uniform:10:30", "uniform", (10.0, 30.0)),
        ("LogNormal:20:0.5", "lognormal", (20.0, 0.5)),
        (" exponential:15 ", "exponential", (15.0,)),
    ],
)
def test_parse_accepts_each_kind(spec: str, kind: str, params: tuple[float, ...]) -> None:
    distribution = LatencyDistribution.parse(spec)
    assert (distribution.kind, distribution.params) == (kind, params)
    assert LatencyDistribution.parse(distribution.spec) == distribution


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("gamma:1", "unknown distribution"),
        ("fixed", "takes 1 parameter"),
        ("uniform:10", "takes 2 parameter"),
        ("fixed:fast", "non-numeric"),
        ("fixed:-1", ">= 0"),
        ("uniform:30:10", "LOW <= HIGH"),
        ("exponential:inf", "finite"),
    ],
)
def test_parse_rejects_with_a_reason(spec: str, words: str) -> None:
    with pytest.raises(DistributionError, match=words):
        LatencyDistribution.parse(spec)


@pytest.mark.parametrize("spec", ["uniform:10:30", "lognormal:20:0.5", "exponential:15"])
def test_sample_mean_matches_the_distribution_mean(spec: str) -> None:
    distribution = LatencyDistribution.parse(spec)
    samples = [distribution.sample_ms(random.Random(seed)) for seed in range(4000)]
    # 4000 samples: the standard error of the mean is under 2% of the mean for these shapes.
    assert statistics.fmean(samples) == pytest.approx(distribution.mean_ms(), rel=0.08)
    assert min(samples) >= 0


def test_fixed_is_exact_and_uniform_stays_in_range() -> None:
    rng = random.Random(1)
    assert {LatencyDistribution.parse("fixed:42").sample_ms(rng) for _ in range(10)} == {42.0}
    uniform = [LatencyDistribution.parse("uniform:10:30").sample_ms(rng) for _ in range(500)]
    assert 10 <= min(uniform) < 12 and 28 < max(uniform) <= 30


def test_long_tails_are_capped() -> None:
    distribution = LatencyDistribution.parse("lognormal:50000:3")
    assert max(distribution.sample_ms(random.Random(s)) for s in range(200)) == MAX_SAMPLE_MS
