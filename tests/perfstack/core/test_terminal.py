"""Every rich console prints user-supplied strings as they are: no markup, no emoji codes."""

from __future__ import annotations

import ast
import io
from pathlib import Path

from rich.table import Table

from perfstack.core.terminal import plain_console, styled

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION = ("perfstack", "loadgen", "exporters", "gate", "demo")


def test_markup_and_emoji_codes_print_as_written_and_styles_still_apply(monkeypatch) -> None:
    for variable in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    console = plain_console(out, width=200)
    table = Table(title="run [b]x[/b]")
    table.add_column("name [id]")
    table.add_row("/api/items/[id] :x: [red]r[/red]")
    console.print(table)
    console.print("note [bold]b[/bold] :smile:")
    console.print(styled("PASS", "green"))
    text = out.getvalue()
    for expected in ("run [b]x[/b]", "name [id]", "/api/items/[id] :x: [red]r[/red]"):
        assert expected in text
    assert "note [bold]b[/bold] :smile:" in text
    assert "PASS" in text and "\x1b[" in text  # colour asked for explicitly still shows


def test_no_production_code_builds_its_own_rich_console() -> None:
    """Only perfstack/core/terminal.py constructs a Console: any other would read markup."""
    builders = []
    for package in PRODUCTION:
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "perfstack" / "core" / "terminal.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Console":
                    builders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
                if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Console":
                    builders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert builders == []
