"""perfstack's pytest plugin (entry point `pytest11`): markers always, everything else
only with `--perfstack` (docs/pytest.md)."""
