"""Column widths for a terminal table in which no row takes more than a few lines.

Rich shares a narrow terminal between columns in proportion and lets a long cell wrap onto
as many lines as it needs, so one long threshold or name can stretch a row to five lines.
Here each column keeps, where the width allows, what its cells need to wrap onto `lines`
lines without breaking a word; the widest columns give way first when the table is too
wide, and a cell that then does not fit is cut on its last line with an ellipsis (`clip`):
a row never grows past `lines`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text


def _wrapped(console: Console, text: Text, width: int) -> list[Text]:
    lines = []
    for line in text.wrap(console, max(width, 1), overflow="fold"):
        line.rstrip()
        lines.append(line)
    return lines


def _natural(text: Text) -> int:
    return max((line.cell_len for line in text.split("\n")), default=0)


def _longest_word(text: Text) -> int:
    return max((cell_len(word) for word in text.plain.split()), default=1)


def _narrowest(console: Console, text: Text, lines: int, floor: int) -> int:
    """The smallest width (not below `floor`) at which `text` wraps onto `lines` lines."""
    low, high = floor, max(floor, _natural(text))
    while low < high:
        middle = (low + high) // 2
        if len(_wrapped(console, text, middle)) <= lines:
            high = middle
        else:
            low = middle + 1
    return high


def fit_widths(
    console: Console,
    headers: Sequence[str],
    rows: Sequence[Sequence[Text]],
    available: int,
    lines: int = 2,
    cut_first: Sequence[int] = (),
) -> list[int]:
    """One width per column; their sum is at most `available` unless even the headers
    do not fit (then every column is at its header's width). The columns in `cut_first`
    (e.g. names, printed whole elsewhere) are cut before any other."""
    floors = [max(len(header), 1) for header in headers]
    natural = [max([floor, *(_natural(row[i]) for row in rows)]) for i, floor in enumerate(floors)]
    if sum(natural) <= available:
        return natural
    whole_words = [
        max([floor, *(_narrowest(console, row[i], lines, _longest_word(row[i])) for row in rows)])
        for i, floor in enumerate(floors)
    ]
    no_broken_word = [
        max([floor, *(_longest_word(row[i]) for row in rows)]) for i, floor in enumerate(floors)
    ]
    names_cut = [
        no_broken_word[i] if i in cut_first else width for i, width in enumerate(whole_words)
    ]
    widths = list(natural)
    # down to what keeps every cell on `lines` lines without breaking a word; then long
    # text is cut with an ellipsis (the `cut_first` columns first), still without breaking
    # a word (a value or a source stays readable); only then are words broken, down to the
    # headers. The widest column gives way first each time.
    for limits in (whole_words, names_cut, no_broken_word, floors):
        while sum(widths) > available:
            shrinkable = [i for i, width in enumerate(widths) if width > limits[i]]
            if not shrinkable:
                break
            widest = max(shrinkable, key=lambda i: widths[i])
            widths[widest] -= 1
    return widths


def clip(console: Console, text: Text, width: int, lines: int = 2) -> Text:
    """`text` wrapped to `width` on at most `lines` lines, the last cut with an ellipsis
    when the text is longer."""
    wrapped = _wrapped(console, text, width)
    if len(wrapped) > lines:
        rest = Text(" ").join(wrapped[lines - 1 :])
        rest.truncate(width, overflow="ellipsis")
        wrapped = [*wrapped[: lines - 1], rest]
    return Text("\n").join(wrapped)
