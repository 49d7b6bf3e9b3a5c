"""Validation of the target URL given with --host: well formed, and local unless allowed."""

from __future__ import annotations

from urllib.parse import urlsplit

from perfstack.core.errors import ExitCode, PerfstackError

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def validate_target(url: str, allow_remote: bool = False, flag: str = "--host") -> str:
    """The URL without a trailing slash, or a BAD_TARGET_URL error saying what was expected."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise PerfstackError(f"{flag} {url!r}: {error}", ExitCode.BAD_TARGET_URL) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PerfstackError(
            f"{flag} {url!r}: expected an http:// or https:// URL with a host, e.g. http://127.0.0.1:8000",
            ExitCode.BAD_TARGET_URL,
        )
    if port == 0:
        raise PerfstackError(
            f"{flag} {url!r}: port 0 is not a valid target port", ExitCode.BAD_TARGET_URL
        )
    if not allow_remote and parts.hostname.lower() not in LOCAL_HOSTS:
        raise PerfstackError(
            f"{flag} {url!r}: load goes only to 127.0.0.1, localhost or ::1 "
            "unless --allow-remote-host is given",
            ExitCode.BAD_TARGET_URL,
        )
    return url.rstrip("/")
