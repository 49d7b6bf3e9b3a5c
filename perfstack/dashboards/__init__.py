"""Dashboards, recording rules and alert rules as code (issue 7).

`python -m perfstack.dashboards` writes grafana/dashboards/*.json,
prometheus/rules/perfstack.yml and alerts/perfstack.rules.yml from these modules.
"""
