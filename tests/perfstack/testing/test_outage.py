"""A store outage six times longer than the in-process buffer: through vmagent's disk queue
(with `perfstack agent`'s flags) or agent-mode Prometheus's write-ahead log nothing is lost;
pushed straight to the store, the same outage loses samples, and the pusher counts every one
of them (the control: the same checks of the agents' paths would fail there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfstack.testing.outage import run_outage


@pytest.mark.slow(seconds=45)
def test_an_outage_longer_than_the_buffer_loses_nothing_through_vmagent_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    # vmagent 1.79 retries 1, 3, 7, 15, 31 s after a failure (fixed, doubling): a store back
    # a few seconds before the 31 s retry is drained then, not at the 63 s one
    result = run_outage(tmp_path, outage_seconds=24, buffer_seconds=4, interval=0.5)
    report = "\n".join(result.lines())
    agent, direct = result.generators["vmagent"], result.generators["direct"]
    stats = agent.stats
    per_snapshot = stats.series
    # through vmagent: every snapshot left the pusher, vmagent took and delivered every sample
    assert stats.dropped_total == 0, report
    assert stats.samples_sent == stats.snapshots * per_snapshot, report
    assert result.vmagent["vmagent_rows_inserted_total"] == stats.samples_sent, report
    assert agent.stored == stats.samples_sent, report
    assert result.vmagent["vmagent_remotewrite_retries_count_total"] > 0, report  # it saw it
    for counter in (
        "vmagent_remotewrite_packets_dropped_total",
        "vm_persistentqueue_bytes_dropped_total",
        "vm_persistentqueue_bytes_pending",
    ):
        assert result.vmagent[counter] == 0, report
    # through agent-mode Prometheus: all of it sent on, none failed, nothing left pending
    peer = result.generators["prometheus-agent"]
    counters = result.agents["prometheus-agent"]
    assert peer.stats.dropped_total == 0, report
    assert peer.stats.samples_sent == peer.stats.snapshots * per_snapshot, report
    assert peer.stored == peer.stats.samples_sent, report
    assert counters["prometheus_remote_storage_samples_total"] >= peer.stats.samples_sent, report
    assert counters["prometheus_remote_storage_samples_retried_total"] > 0, report
    for counter in ("failed_total", "dropped_total", "pending"):
        assert counters[f"prometheus_remote_storage_samples_{counter}"] == 0, report
    # straight to the store: the oldest snapshots fell out of the 4 s buffer, all counted
    control = direct.stats
    lost = control.samples_dropped["buffer_full"]
    lost_snapshots, part = divmod(lost, control.series)
    assert part == 0 and lost_snapshots >= 20, report  # ~40 of the outage's 48 snapshots
    assert control.dropped_total == lost, report
    assert direct.stored == control.samples_sent, report
    assert control.samples_sent + lost == control.snapshots * control.series, report
