from __future__ import annotations

import io

from loadgen.live_view import LiveView, print_summary, status_fields
from loadgen.locust.live_status import RATE_WINDOW_SECONDS, recent_rate
from perfstack.core.record import NameStats, RunRecord

LIVE = {
    "start": 1000.0, "state": "running", "users": 12, "rps": 48.25, "p95_seconds": 0.0421,
    "error_ratio": 0.0125, "requests": 960, "in_flight": 7, "oldest_in_flight_seconds": 2.04,
}  # fmt: skip


def test_status_fields_show_time_users_rate_p95_and_errors():
    fields = status_fields(LIVE, planned=120, now=1030.0)
    assert fields == {
        "state": "running", "elapsed": "30s", "remaining": "1m30s", "users": "12",
        "rps": "48.2", "in_flight": "7", "oldest_in_flight": "2.0 s", "p95": "42.1 ms",
        "errors": "1.25%", "requests": "960",
    }  # fmt: skip
    nothing_hangs = status_fields(
        LIVE | {"in_flight": 0, "oldest_in_flight_seconds": None}, 120, 1030.0
    )
    assert (nothing_hangs["in_flight"], nothing_hangs["oldest_in_flight"]) == ("0", "-")
    assert status_fields(None, 10, 0) == {"state": "starting"}
    stopped = status_fields(LIVE | {"state": "stopped", "now": 1012.0}, planned=120, now=1090.0)
    assert stopped["elapsed"] == "12s"


def test_the_live_rate_falls_to_zero_once_nothing_completes():
    """Locust's current_rps ends its window at the last completed request, so a hang kept
    showing the old rate; the live rate ends its window at now."""
    assert RATE_WINDOW_SECONDS == 3
    per_second = {t: 50 for t in range(100, 110)}  # 50/s until 110, then everything hangs
    assert recent_rate(per_second, now=109.5) == 50.0  # seconds 106..108
    assert recent_rate(per_second, now=111.2) == 100 / 3  # 108, 109 and the empty 110
    assert recent_rate(per_second, now=113.0) == 0.0
    assert recent_rate(per_second, now=200.0) == 0.0
    # a master's workers report every 3 s: its window ends that much earlier
    assert recent_rate(per_second, now=113.0, lag=3) == 50.0


def test_without_a_terminal_one_progress_line_every_5_seconds():
    stream = io.StringIO()
    with LiveView("t-1", 60, {"prometheus": "http://127.0.0.1:9090"}, stream=stream) as view:
        assert not view.interactive
        view.update(LIVE)
        view.update(LIVE)  # within 5 s of the first: no second line
    lines = stream.getvalue().splitlines()
    assert lines[0] == "perfstack run t-1: prometheus http://127.0.0.1:9090"
    assert len(lines) == 2 and "users=12" in lines[1] and "p95=42.1 ms" in lines[1]


def test_summary_lists_names_totals_and_notes():
    record = RunRecord(
        testid="t-2", scenario="smoke", generator="locust", target="http://127.0.0.1:1", start=1.0,
        end=2.0, requests=10, failures=3, errors_by_type={"timeout": 3}, name_overflow=4,
        names={"/a": NameStats(10, 3, {"p95": 0.5})}, percentiles={"p95": 0.5},
        exit_status="completed", generator_saturated=True,
    )  # fmt: skip
    stream = io.StringIO()
    print_summary(record, "/tmp/t-2.json", stream=stream)
    text = stream.getvalue()
    assert "run t-2 (smoke): completed" in text
    assert "500.0 ms" in text and "errors: timeout=3" in text
    assert "4 requests over the name cap" in text and "saturated" in text
