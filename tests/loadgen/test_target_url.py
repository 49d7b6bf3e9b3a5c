from __future__ import annotations

import pytest

from loadgen.target_url import validate_target
from perfstack.core.errors import ExitCode, PerfstackError


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000", "http://localhost:1/", "https://[::1]:8443", "HTTP://LOCALHOST:80"],
)
def test_local_urls_pass(url):
    assert validate_target(url) == url.rstrip("/")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("127.0.0.1:8000", "expected an http:// or https:// URL"),
        ("ftp://127.0.0.1", "expected an http:// or https:// URL"),
        ("http://", "expected an http:// or https:// URL"),
        ("http://127.0.0.1:99999", "Port out of range"),
        ("http://example.com", "unless --allow-remote-host"),
        ("http://10.0.0.1:80", "unless --allow-remote-host"),
    ],
)
def test_bad_urls_are_one_line_errors_with_their_code(url, expected):
    with pytest.raises(PerfstackError) as raised:
        validate_target(url)
    assert raised.value.exit_code == ExitCode.BAD_TARGET_URL
    assert expected in raised.value.message and "--host" in raised.value.message
    assert "\n" not in raised.value.message


def test_remote_host_needs_the_explicit_flag():
    assert validate_target("http://example.com/", allow_remote=True) == "http://example.com"
