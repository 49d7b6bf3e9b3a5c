"""The few lines `perfstack ws` prints at the end of a run."""

from __future__ import annotations

from typing import Any


def _ms(values: dict[str, float], key: str) -> str:
    return f"{values[key] * 1000:.1f}ms" if key in values else "-"


def render_summary(outcome: Any) -> str:
    ws = outcome.summary
    conns, msgs = ws["connections"], ws["messages"]
    rtt, connect = ws["rtt_seconds"], ws["connect_seconds"]
    lines = [
        f"testid {outcome.identity.testid}  mode {ws['mode']}  target {ws['target']}  "
        f"{ws['elapsed_seconds']:.1f}s ({outcome.record.exit_status})",
        f"connections: {conns['sessions']} opened of {conns['attempts']} attempts, "
        f"peak {conns['peak_open']} open; "
        f"connect p50 {_ms(connect, 'p50')} p99 {_ms(connect, 'p99')}",
        f"messages: {msgs['sent']} sent, {msgs['received']} received; "
        f"rtt p50 {_ms(rtt, 'p50')} p95 {_ms(rtt, 'p95')} "
        f"p99 {_ms(rtt, 'p99')} max {_ms(rtt, 'max')}",
        f"timeouts {ws['reply_timeouts']}  unmatched {ws['unmatched_replies']}  "
        f"disconnects unexpected {ws['disconnects']['unexpected']}  reconnects {ws['reconnects']}",
    ]
    for phase, kinds in ws["errors"].items():
        lines.append(f"errors ({phase}): " + ", ".join(f"{k} {n}" for k, n in kinds.items()))
    result = ws["result"]
    if result:
        lines.append("result: " + ", ".join(f"{k}={_fmt(v)}" for k, v in result.items()))
    if outcome.record_path:
        lines.append(f"record: {outcome.record_path}")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
