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


def test_summary_rows_per_method_with_names_and_notes_printed_as_written():
    from perfstack.core.record import MethodStats

    methods = {"GET": MethodStats(7, 0, {"p95": 0.1}), "PUT": MethodStats(3, 1, {"p95": 0.3})}
    record = RunRecord(
        testid="t-3", scenario="smoke", generator="locust", target="http://127.0.0.1:1", start=1.0,
        end=2.0, requests=12, failures=1, errors_by_type={"http_4xx": 1},
        names={
            "/api/items/[id]": NameStats(10, 1, {"p95": 0.3}, methods),
            "/old [bold]": NameStats(2, 0, {"p95": 0.9}),  # an older record: no methods
        },
        exit_status="completed", message="stopped: name ':x:' [red]quoted[/red]",
    )  # fmt: skip
    stream = io.StringIO()
    print_summary(record, "/tmp/[state]/t-3.json", stream=stream)
    rows = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in stream.getvalue().splitlines()
        if line.startswith("│")
    ]
    assert "┃ method ┃ name" in stream.getvalue()
    assert [row[:5] for row in rows] == [
        ["GET", "/api/items/[id]", "7", "0", "-"],
        ["PUT", "/api/items/[id]", "3", "1", "-"],
        ["", "/old [bold]", "2", "0", "-"],
        ["", "total", "12", "1", "-"],
    ]
    assert rows[1][6] == "300.0 ms"  # PUT's own p95
    text = stream.getvalue()
    assert "record: /tmp/[state]/t-3.json" in text
    assert "stopped: name ':x:' [red]quoted[/red]" in text


def test_names_paths_and_messages_print_as_written_not_as_markup():
    record = RunRecord(
        testid="t-4", scenario="smoke", generator="locust", target="http://127.0.0.1:1", start=1.0,
        end=2.0, requests=2, names={"/api/items/[id]": NameStats(2, 0, {"p95": 0.1})},
        errors_by_type={"http_4xx": 1}, message="locustfile says [red]no[/red] :x:",
    )  # fmt: skip
    stream = io.StringIO()
    print_summary(record, "/tmp/[state]/t-4.json", stream=stream)
    text = stream.getvalue()
    for expected in (
        "│ /api/items/[id] │",
        "record: /tmp/[state]/t-4.json",
        "locustfile says [red]no[/red] :x:",
    ):
        assert expected in text, text


def test_remaining_follows_the_shape_actually_played():
    # a scenario's shape reports its length: it wins over the 60 s default --duration
    scenario = status_fields(LIVE | {"planned_seconds": 300.0, "shape": "S"}, 60, now=1090.0)
    assert (scenario["elapsed"], scenario["remaining"]) == ("1m30s", "3m30s")
    # a locustfile's own shape states none: no countdown at all, never a false 0s
    own = status_fields(LIVE | {"planned_seconds": None, "shape": "StagesShape"}, 60, now=1300.0)
    assert (own["elapsed"], own["remaining"]) == ("5m00s", "decided by the shape StagesShape")
    # without a shape the planned --duration counts down, as before
    plain = status_fields(LIVE | {"planned_seconds": 45.0, "shape": None}, 60, now=1030.0)
    assert plain["remaining"] == "15s"
