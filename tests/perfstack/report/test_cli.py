"""perfstack/report/cli.py: the `report` command's registration stays light."""

from __future__ import annotations

import subprocess
import sys


def test_the_command_line_loads_bokeh_only_when_a_report_is_written() -> None:
    # every `perfstack` command (hundreds per CI run) parses its arguments through the
    # parser the report command registers in; Bokeh there cost each ~1.5 s of CPU
    code = (
        "import sys, perfstack.cli\n"
        "perfstack.cli.build_parser()\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'bokeh', 'numpy'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
