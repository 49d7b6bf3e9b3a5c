from __future__ import annotations

import io

from gate.report_table import print_table


def test_table_shows_value_threshold_query_and_time_without_colour_off_a_tty(mixed_result) -> None:
    out = io.StringIO()
    print_table(mixed_result, file=out, width=250)
    text = out.getvalue()
    assert "\x1b[" not in text  # not a terminal: no colour codes
    for expected in (
        "requests",
        "PASS",
        "WARN",
        "FAIL",
        "NO_DATA",
        "ERROR",
        "10.00%",
        "pass < 1%",
        "loadgen_http_request_failures_total",
        f"{mixed_result.evaluated_at:.3f}",
        "-50.0%",
        "major",
        "verdict: ERROR",
    ):
        assert expected in text, expected
