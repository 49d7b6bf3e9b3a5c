"""The rich console every perfstack command prints through: strings are printed as given.

Request names, scenario names, testids, targets, objective names and error messages come
from users. Rich's defaults would read `/api/items/[id]` as markup (it prints
`/api/items/`) and `:x:` as an emoji code; these consoles read neither, in table cells,
titles and prints alike. Colour is asked for explicitly with `styled()`.
"""

from __future__ import annotations

from typing import IO

from rich.console import Console
from rich.text import Text


def plain_console(file: IO[str] | None = None, width: int | None = None) -> Console:
    return Console(file=file, width=width, markup=False, emoji=False, highlight=False)


def styled(text: str, style: str) -> Text:
    """`text` in `style` (e.g. "bold red"), its characters kept as they are."""
    return Text(text, style=style)
