"""Run history: one summary per run (pushed and kept in the run record), the history of a
scenario read back, and change points found in it (docs/history.md)."""
