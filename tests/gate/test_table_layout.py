from __future__ import annotations

import pytest
from rich.text import Text

from gate.table_layout import clip, fit_widths
from perfstack.core.terminal import plain_console

HEADERS = ["objective", "verdict", "value", "threshold", "source"]
ROWS = [
    [
        Text("p95 latency of the checkout flow including payment and confirmation"),
        Text("NO_DATA"),
        Text("250.0ms"),
        Text("pass < 500ms; warn < 1s\nvs baseline <= +10%"),
        Text("record p95 exact"),
    ],
    [Text("errors"), Text("PASS"), Text("2.00%"), Text("pass < 5%"), Text("prometheus")],
]


def _lines(text: Text) -> list[str]:
    return str(text).split("\n")


def test_columns_fitting_whole_keep_their_natural_width() -> None:
    console = plain_console(None, 200)
    widths = fit_widths(console, HEADERS, ROWS, 200)
    assert widths == [67, 7, 7, 23, 16]


@pytest.mark.parametrize("available", [80, 70, 60])
def test_a_narrow_table_cuts_the_name_first_and_no_cell_takes_over_two_lines(
    available: int,
) -> None:
    console = plain_console(None, 200)
    widths = fit_widths(console, HEADERS, ROWS, available, cut_first=(0,))
    assert sum(widths) <= available
    # values, verdicts, sources and thresholds stay whole; the name gives way
    assert widths[1:] == [7, 7, 23, 10]
    for row in ROWS:
        for cell, width in zip(row, widths, strict=True):
            lines = _lines(clip(console, cell, width))
            assert len(lines) <= 2 and all(len(line) <= width for line in lines)
    name = _lines(clip(console, ROWS[0][0], widths[0]))
    assert name[-1].endswith("…")


def test_when_even_whole_words_do_not_fit_words_break_down_to_the_headers() -> None:
    console = plain_console(None, 200)
    assert fit_widths(console, HEADERS, ROWS, 40, cut_first=(0,)) == [9, 7, 7, 9, 8]
    # the headers' widths at the least: narrower would be unreadable
    for available in (36, 20):
        assert fit_widths(console, HEADERS, ROWS, available, cut_first=(0,)) == [9, 7, 5, 9, 6]
    assert _lines(clip(console, Text("record p95 exact"), 6)) == ["record", "p95 e…"]


def test_clip_keeps_a_short_text_and_cuts_a_long_one_on_its_last_line() -> None:
    console = plain_console(None, 200)
    assert str(clip(console, Text("pass < 1%"), 20)) == "pass < 1%"
    assert str(clip(console, Text("one two three four five"), 9)) == "one two\nthree fo…"
