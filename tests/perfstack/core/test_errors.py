"""Exit codes: one enum, printed by --help, documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

from perfstack.cli import build_parser
from perfstack.core.errors import MEANINGS, ExitCode, PerfstackError, epilog

README = Path(__file__).resolve().parents[3] / "README.md"


def _readme_codes() -> dict[int, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    return {
        int(code): meaning for code, meaning in re.findall(r"^\| (\d+) \| (.+) \|$", section, re.M)
    }


def test_every_exit_code_has_a_meaning():
    assert set(MEANINGS) == set(ExitCode)
    assert all(meaning.strip() for meaning in MEANINGS.values())


def test_the_readme_documents_exactly_the_enum():
    assert set(_readme_codes()) == {int(code) for code in ExitCode}


def test_the_cli_help_lists_every_code_once_in_order():
    help_text = build_parser().format_help()
    block = help_text.split("exit codes:\n", 1)[1]
    listed = [int(line.split()[0]) for line in block.splitlines() if line.strip()]
    assert listed == sorted(int(code) for code in ExitCode)
    assert "  21  the run record could not be written" in block
    assert " 130  interrupted" in block


def test_epilog_of_a_subset_keeps_continuation_lines():
    text = epilog({ExitCode.NO_DATA: "no data\n       really", ExitCode.OK: "fine"})
    assert text == "exit codes:\n    0  fine\n    3  no data\n       really\n"


def test_error_carries_its_code_and_prints_its_message():
    error = PerfstackError("rules.yaml:3: expected a mapping", ExitCode.USAGE)
    assert (str(error), error.exit_code) == ("rules.yaml:3: expected a mapping", 2)
