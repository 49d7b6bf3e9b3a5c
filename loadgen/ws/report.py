"""What a WebSocket run found: the mode's answer, the totals, and the run record around them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from loadgen.ws.config import RunConfig
from loadgen.ws.driver import DriveResult
from loadgen.ws.tally import WsTally
from perfstack.core.identity import RunIdentity
from perfstack.core.record import NameStats, RunRecord


def target_label(url: str) -> str:
    """scheme://host:port only: paths and queries may carry tokens and are unbounded."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def mode_result(run: RunConfig, tally: WsTally, drive: DriveResult) -> dict[str, Any]:
    hold = max(0.0, drive.elapsed - drive.ramp_end_elapsed)
    if run.mode == "connection-limit":
        return {
            "held_stable": drive.held_stable,
            "peak_open": tally.peak_open,
            "ramp_stopped_by": drive.ramp_stopped_by,
            "max_error_ratio": run.max_error_ratio,
            "attempts": tally.connect_attempts,
        }
    if run.mode == "throughput":
        received = tally.messages_received - drive.received_at_ramp_end
        sent = tally.messages_sent - drive.sent_at_ramp_end
        return {
            "measured_seconds": hold,
            "messages_per_second": received / hold if hold else 0.0,
            "sent_per_second": sent / hold if hold else 0.0,
            "payload_size": run.session.payload_size,
            "connections": drive.open_at_ramp_end,
        }
    if run.mode == "typing-delay":
        rtt = tally.rtt.percentiles()
        expected = run.expected_delay or 0.0
        measured = rtt.get("p50")
        result: dict[str, Any] = {
            "expected_delay_seconds": expected,
            "measured_p50_seconds": measured,
        }
        if measured is not None:
            result["difference_seconds"] = measured - expected
            result["relative_difference"] = (measured - expected) / expected if expected else None
        return result
    if run.mode == "stability":
        samples = drive.open_samples
        held = sum(samples) / (len(samples) * run.connections) if samples else 0.0
        return {
            "unexpected_disconnects": tally.disconnects_unexpected,
            "reconnects": tally.reconnects,
            "min_open_after_ramp": drive.min_open_after_ramp,
            "held_ratio": held,
        }
    return {"ramp_stopped_by": drive.ramp_stopped_by}


def summary(run: RunConfig, tally: WsTally, drive: DriveResult) -> dict[str, Any]:
    return {
        "mode": run.mode,
        "target": target_label(run.session.url),
        "result": mode_result(run, tally, drive),
        "connections": {
            "requested": run.connections,
            "started": drive.slots_started,
            "attempts": tally.connect_attempts,
            "abandoned_at_stop": tally.connect_abandoned,
            "sessions": tally.sessions,
            "peak_open": tally.peak_open,
        },
        "messages": {
            "sent": tally.messages_sent,
            "received": tally.messages_received,
            "bytes_sent": tally.bytes_sent,
            "bytes_received": tally.bytes_received,
            "rtt_count": tally.rtt.count,
        },
        "connect_seconds": tally.connect.percentiles(),
        "rtt_seconds": tally.rtt.percentiles(),
        "errors": tally.errors_by_phase(),
        "close_codes": {str(code): n for code, n in sorted(tally.close_codes.items())},
        "disconnects": {
            "expected": tally.disconnects_expected,
            "unexpected": tally.disconnects_unexpected,
        },
        "reconnects": tally.reconnects,
        "reply_timeouts": tally.reply_timeouts,
        "unmatched_replies": tally.unmatched,
        "elapsed_seconds": drive.elapsed,
        "ramp_seconds": drive.ramp_end_elapsed,
    }


def build_record(
    identity: RunIdentity, ws: dict[str, Any], tally: WsTally, start: float, end: float
) -> RunRecord:
    """A record the common loader reads: `requests` are messages, the WS detail in extra["ws"]."""
    errors = {f"{phase}:{kind}": n for (phase, kind), n in sorted(tally.errors.items())}
    if tally.reply_timeouts:
        errors["reply_timeout"] = tally.reply_timeouts
    return RunRecord(
        testid=identity.testid,
        scenario=identity.scenario,
        generator="ws",
        target=ws["target"],
        start=start,
        end=end,
        generators=[identity.instance],
        users=tally.peak_open,
        requests=tally.messages_sent,
        failures=tally.reply_timeouts + sum(tally.errors.values()),
        errors_by_type=errors,
        names={
            "ws_connect": NameStats(
                tally.connect_attempts, tally.connect_errors, tally.connect.percentiles()
            ),
            "ws_message": NameStats(
                tally.messages_sent, tally.reply_timeouts, tally.rtt.percentiles()
            ),
        },
        percentiles=tally.rtt.percentiles(),
        extra={"ws": ws},
    )
