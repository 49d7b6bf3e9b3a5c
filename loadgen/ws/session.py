"""One connection slot: connect, converse, close, maybe reconnect. One task per slot.

The slot's state lives in its coroutine frame: a pending-reply dict (message key ->
send time, insertion-ordered so the oldest is first), a sequence number and a few
floats. Timeouts, think time and the session deadline are all folded into one lazily re-armed
wake-up around `recv()` (loadgen.ws.alarm), so a slot never needs a second task.
"""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from loadgen.ws.alarm import Alarm
from loadgen.ws.classify import classify, close_code
from loadgen.ws.config import SessionConfig
from loadgen.ws.messages import CompiledTemplate, Matcher
from loadgen.ws.tally import WsTally

INF = math.inf


@dataclass
class SlotContext:
    """Everything the slots share; built once per run."""

    config: SessionConfig
    tally: WsTally
    rng: random.Random = field(default_factory=random.Random)
    stopping: bool = False
    template: CompiledTemplate = field(init=False)
    matcher: Matcher = field(init=False)
    connect_kwargs: dict[str, Any] = field(init=False)
    extra_bytes: int = field(init=False)  # UTF-8 bytes beyond len(text) in every message

    def __post_init__(self) -> None:
        cfg = self.config
        self.template = cfg.message_template().compile()
        self.matcher = cfg.build_matcher()
        sample = self.template.render("0-0", 0, 0)
        self.extra_bytes = len(sample.encode("utf-8")) - len(sample)
        self.connect_kwargs = {
            "additional_headers": cfg.all_headers() or None,
            "subprotocols": list(cfg.subprotocols) or None,
            "compression": None,
            "open_timeout": cfg.connect_timeout,
            "ping_interval": cfg.ping_interval,
            "ping_timeout": cfg.ping_interval,
            "close_timeout": cfg.close_timeout,
            "max_queue": cfg.max_queue,
            "write_limit": cfg.write_limit,
            "max_size": cfg.max_size,
            "proxy": None,
            "user_agent_header": "perfstack-ws",
        }
        context = cfg.ssl_context
        if context is not None:
            self.connect_kwargs["ssl"] = context

    def backoff(self, failures: int) -> float:
        cfg = self.config
        delay = min(cfg.backoff_max, cfg.backoff_initial * 2 ** min(failures - 1, 20))
        return delay * self.rng.uniform(0.5, 1.0)


async def run_slot(index: int, ctx: SlotContext) -> None:
    """Keep one connection going until the run stops (or, without reconnect, until it fails)."""
    loop = asyncio.get_running_loop()
    cfg, tally = ctx.config, ctx.tally
    was_connected = False
    failures = 0
    seq = 0
    while not ctx.stopping:
        tally.connect_attempts += 1
        started = loop.time()
        try:
            ws = await connect(cfg.url, **ctx.connect_kwargs)
        except asyncio.CancelledError:
            tally.connect_abandoned += 1
            raise
        except Exception as error:
            tally.error("connect", classify(error))
            code = close_code(error)
            if code is not None:
                tally.close_codes[code] += 1
            if not cfg.reconnect:
                return
            failures += 1
            await asyncio.sleep(ctx.backoff(failures))
            continue
        opened_at = loop.time()
        tally.opened(opened_at - started)
        if was_connected:
            tally.reconnects += 1
        was_connected, failures = True, 0
        unexpected = True
        try:
            unexpected, seq = await _converse(ws, index, seq, ctx, opened_at)
        except asyncio.CancelledError:
            unexpected = False
            await _close(ws, tally)
            raise
        finally:
            tally.closed(unexpected, loop.time() - opened_at)
        if unexpected:
            if not cfg.reconnect:
                return
            failures += 1
            await asyncio.sleep(ctx.backoff(failures))


async def _converse(
    ws: ClientConnection, index: int, seq: int, ctx: SlotContext, opened_at: float
) -> tuple[bool, int]:
    """The message loop of one connection; (unexpected close?, last sequence number)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    alarm = Alarm(loop, task)
    try:
        return await _exchange(ws, index, seq, ctx, opened_at, alarm)
    finally:
        alarm.disarm()


async def _exchange(
    ws: ClientConnection, index: int, seq: int, ctx: SlotContext, opened_at: float, alarm: Alarm
) -> tuple[bool, int]:
    loop_time = asyncio.get_running_loop().time
    cfg, tally, matcher, render = ctx.config, ctx.tally, ctx.matcher, ctx.template.render
    think, rng, extra_bytes = cfg.think_time, ctx.rng, ctx.extra_bytes
    timeout, window = cfg.reply_timeout, cfg.window
    pending: dict[str, float] = {}
    session_end = opened_at + cfg.session_duration if cfg.session_duration else INF
    next_send = opened_at if cfg.send_messages else INF
    while True:
        now = loop_time()
        while pending:
            oldest = next(iter(pending))
            if pending[oldest] + timeout > now:
                break
            del pending[oldest]
            tally.reply_timeouts += 1
            if next_send == INF and cfg.send_messages:
                next_send = now + think.sample(rng)
        if now >= session_end:
            await _close(ws, tally)
            return False, seq
        if now >= next_send:
            seq += 1
            message_id = f"{index}-{seq}"
            text = render(message_id, index, seq)
            try:
                await ws.send(text)
            except ConnectionClosed as error:
                _lost(tally, "write", error, pending)
                return True, seq
            tally.messages_sent += 1
            tally.bytes_sent += len(text) + extra_bytes
            pending[matcher.sent_key(message_id, text)] = now
            next_send = now + think.sample(rng) if len(pending) < window else INF
            continue
        deadline = min(next_send, session_end)
        if pending:
            deadline = min(deadline, next(iter(pending.values())) + timeout)
        alarm.arm(deadline)
        alarm.waiting = True
        try:
            data = await ws.recv()
        except asyncio.CancelledError:
            if alarm.consume():
                continue  # our wake-up: re-check timeouts, think time, session end
            raise
        except ConnectionClosed as error:
            _lost(tally, "read", error, pending)
            return True, seq
        finally:
            alarm.waiting = False
        now = loop_time()
        tally.messages_received += 1
        tally.bytes_received += _payload_bytes(data)
        key = matcher.reply_key(data)
        sent_at = pending.pop(key, None) if key is not None else None
        if sent_at is None:
            tally.unmatched += 1
            continue
        tally.rtt.observe(now - sent_at)
        if next_send == INF and cfg.send_messages:
            next_send = now + think.sample(rng)


def _payload_bytes(data: str | bytes) -> int:
    """Bytes as the send side counts them (UTF-8 for text); only non-ASCII text is
    encoded, so the common ASCII case costs no copy on the hot path."""
    if isinstance(data, bytes) or data.isascii():
        return len(data)
    return len(data.encode("utf-8"))


def _lost(tally: WsTally, phase: str, error: ConnectionClosed, pending: dict[str, float]) -> None:
    """The connection ended without us asking; replies still pending will never come."""
    tally.error(phase, classify(error))
    code = close_code(error)
    if code is not None:
        tally.close_codes[code] += 1
    tally.reply_timeouts += len(pending)
    pending.clear()


async def _close(ws: ClientConnection, tally: WsTally) -> None:
    try:
        await ws.close()
    except Exception as error:
        tally.error("close", classify(error))
        return
    if ws.protocol.close_rcvd is None and ws.protocol.close_sent is not None:
        tally.error("close", "no_close_frame")
