"""Which WebSocket URLs a run may load: ws:// or wss://, and only this machine unless allowed."""

from __future__ import annotations

from urllib.parse import urlsplit

from perfstack.core.errors import ExitCode, PerfstackError

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def check_ws_url(url: str, *, allow_remote_host: bool = False, source: str = "--url") -> str:
    """Return `url` unchanged when it is a loadable WebSocket URL; raise BAD_TARGET_URL if not."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise PerfstackError(
            f"{source}: invalid WebSocket URL {url!r}: {error}", ExitCode.BAD_TARGET_URL
        ) from None
    if parts.scheme not in ("ws", "wss"):
        raise PerfstackError(
            f"{source}: expected a ws:// or wss:// URL, got {url!r}", ExitCode.BAD_TARGET_URL
        )
    host = parts.hostname or ""
    if not host:
        raise PerfstackError(f"{source}: URL {url!r} has no host", ExitCode.BAD_TARGET_URL)
    if port == 0:
        raise PerfstackError(f"{source}: URL {url!r} has port 0", ExitCode.BAD_TARGET_URL)
    if host not in LOCAL_HOSTS and not allow_remote_host:
        raise PerfstackError(
            f"{source}: host {host!r} is not 127.0.0.1/localhost; "
            "pass --allow-remote-host to load another machine",
            ExitCode.BAD_TARGET_URL,
        )
    return url
