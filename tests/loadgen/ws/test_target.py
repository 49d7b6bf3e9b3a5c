from __future__ import annotations

import pytest

from loadgen.ws.target import check_ws_url
from perfstack.core.errors import ExitCode, PerfstackError


@pytest.mark.parametrize(
    "url", ["ws://127.0.0.1:8000/ws/chat", "wss://localhost/x", "ws://[::1]:9/", "ws://127.0.0.1"]
)
def test_local_websocket_urls_pass(url: str) -> None:
    assert check_ws_url(url) == url


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:8000/", "expected a ws:// or wss:// URL"),
        ("127.0.0.1:8000", "expected a ws:// or wss:// URL"),
        ("ws:///chat", "has no host"),
        ("ws://127.0.0.1:99999/", "invalid WebSocket URL"),
        ("ws://127.0.0.1:0/", "port 0"),
        ("ws://example.com/chat", "not 127.0.0.1/localhost; pass --allow-remote-host"),
    ],
)
def test_bad_urls_are_one_line_bad_target_errors(url: str, words: str) -> None:
    with pytest.raises(PerfstackError) as caught:
        check_ws_url(url)
    assert caught.value.exit_code == ExitCode.BAD_TARGET_URL
    assert words in caught.value.message and caught.value.message.startswith("--url: ")
    assert "\n" not in caught.value.message


def test_remote_hosts_need_the_flag() -> None:
    assert check_ws_url("wss://example.com/x", allow_remote_host=True) == "wss://example.com/x"
