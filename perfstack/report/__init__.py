"""The HTML report of a run (`perfstack report`): verdicts, charts over the run's time and
the run record's exact figures in one self-contained file (docs/report.md)."""
