"""Dashboards, recording rules and alert rules as code, from one config of thresholds.

`python -m perfstack.mixin` writes grafana/dashboards/*.json,
prometheus/rules/perfstack.yml, prometheus/rules/memory.yml, alerts/perfstack.rules.yml
and gate/presets/default.yaml from these modules.
"""
