"""Generated files: only changed ones are written, stale ones are listed, and the entry
point's --check exits 1 naming them while writing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfstack.core import generated

FILES = {"a/one.json": "{}\n", "two.yaml": "x: 1\n"}


def _main(root: Path, *argv: str) -> int:
    return generated.main(
        "perfstack.example",
        None,
        lambda r: generated.write_files(r, FILES),
        lambda r: generated.stale_files(r, FILES),
        ["--root", str(root), *argv],
    )


def test_write_creates_then_rewrites_only_what_changed(tmp_path: Path) -> None:
    assert generated.write_files(tmp_path, FILES) == ["a/one.json", "two.yaml"]
    assert generated.write_files(tmp_path, FILES) == []
    (tmp_path / "two.yaml").write_text("x: 2\n")
    assert generated.stale_files(tmp_path, FILES) == ["two.yaml"]
    assert generated.write_files(tmp_path, FILES) == ["two.yaml"]
    assert (tmp_path / "two.yaml").read_text() == "x: 1\n"


def test_check_names_stale_files_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main(tmp_path, "--check") == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "stale: a/one.json (run `python -m perfstack.example`)",
        "stale: two.yaml (run `python -m perfstack.example`)",
    ]
    assert not (tmp_path / "two.yaml").exists()
    assert _main(tmp_path) == 0
    assert _main(tmp_path, "--check") == 0
