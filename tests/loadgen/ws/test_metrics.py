from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from loadgen.ws.metrics import WsCollector
from loadgen.ws.tally import WsTally


def samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metric_names_and_values_follow_the_tally() -> None:
    registry, tally = CollectorRegistry(), WsTally()
    collector = WsCollector(tally)
    registry.register(collector)
    tally.opened(0.004)
    tally.messages_sent, tally.messages_received = 7, 6
    tally.bytes_sent, tally.bytes_received = 700, 660
    for _ in range(6):
        tally.rtt.observe(0.2)
    tally.reply_timeouts, tally.unmatched, tally.reconnects = 1, 2, 3
    tally.error("connect", "handshake_401")
    got = samples(registry)
    assert got[("loadgen_ws_messages_sent_total", ())] == 7
    assert got[("loadgen_ws_messages_received_total", ())] == 6
    assert got[("loadgen_ws_bytes_sent_total", ())] == 700
    assert got[("loadgen_ws_message_rtt_seconds_count", ())] == 6
    assert got[("loadgen_ws_message_rtt_seconds_bucket", (("le", "+Inf"),))] == 6
    assert got[("loadgen_ws_connect_duration_seconds_count", ())] == 1
    assert got[("loadgen_ws_connections_open", ())] == 1
    assert got[("loadgen_ws_sessions_total", ())] == 1
    assert got[("loadgen_ws_reply_timeouts_total", ())] == 1
    assert got[("loadgen_ws_unmatched_replies_total", ())] == 2
    assert got[("loadgen_ws_reconnects_total", ())] == 3
    assert got[("loadgen_ws_disconnects_total", (("kind", "unexpected"),))] == 0
    key = (("error_type", "handshake_401"), ("phase", "connect"))
    assert got[("loadgen_ws_connection_errors_total", key)] == 1
    assert not any(name.endswith("_run_seconds") for name, _ in got)


def test_run_percentiles_appear_once_published() -> None:
    registry, tally = CollectorRegistry(), WsTally()
    collector = WsCollector(tally)
    registry.register(collector)
    for ms in range(1, 101):
        tally.rtt.observe(ms / 1000)
    collector.publish_run_percentiles()
    got = samples(registry)
    quantiles = {
        dict(labels)["quantile"]: value
        for (name, labels), value in got.items()
        if name == "loadgen_ws_message_rtt_run_seconds"
    }
    assert set(quantiles) == {"0.5", "0.9", "0.95", "0.99", "1"}
    assert abs(quantiles["0.5"] - 0.05) < 0.0001 and abs(quantiles["1"] - 0.1) < 0.0001
    assert not any(name == "loadgen_ws_connect_duration_run_seconds" for name, _ in got)
