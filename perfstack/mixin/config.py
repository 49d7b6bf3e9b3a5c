"""Thresholds, selectors and names shared by the dashboards, the recording rules and the alerts.

One place for every number a person might tune (the monitoring-mixin habit): the dashboards
draw their threshold lines from here and the alert rules compare against the same values,
so a dashboard's red line and the alert that pages never disagree.
"""

from __future__ import annotations

# Grafana: the datasource uid provisioned in grafana/provisioning/datasources/ is the
# default of the `datasource` variable every panel reads, so a team with its own
# Prometheus (or Mimir, VictoriaMetrics) picks it without editing the JSON.
DATASOURCE_UID = "perfstack-prometheus"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}

# The overview's request filters (multi-select variables; All matches any value).
REQUEST_FILTER = 'name=~"$name", method=~"$method"'
STATUS_FILTER = 'status=~"$status"'

# The dashboard variable every query filters on; multi-select, so a regex match.
TESTID = 'testid=~"$testid"'

# Dashboard uids (stable, so links between dashboards survive a rebuild).
UID_OVERVIEW = "perfstack-overview"
UID_WEBSOCKET = "perfstack-websocket"
UID_RESOURCES = "perfstack-resources"
UID_RUNS = "perfstack-runs"
UID_HISTORY = "perfstack-history"
DASHBOARD_TAG = "perfstack"

# Values published once at the end of a run (end timestamp, exact run percentiles) arrive
# in the generator's last push, just before it marks its series stale: panels that show
# them look back this far.
END_OF_RUN_LOOKBACK = "1m"

# Recording rules evaluate over this window: short enough to follow a run, long enough
# for rate() to have several samples at a 5 s push interval.
RULE_WINDOW = "1m"

# Alert thresholds (during a run); the demo gate preset (text_files.py) uses the same SLA.
LATENCY_SLA_SECONDS = 0.5  # p95 of HTTP requests
LATENCY_SLA_QUANTILE = 0.95
LATENCY_SLA_FOR = "1m"
ERROR_RATIO_MAX = 0.05
ERROR_RATIO_FOR = "1m"
WS_UNEXPECTED_DISCONNECTS_PER_SECOND_MAX = 0.5
WS_DISCONNECT_STORM_FOR = "30s"
GENERATOR_SATURATED_FOR = "30s"
# Dropped iterations of arrival-rate runs (the open model), as a share of those scheduled:
# any WARNs, above DROPPED_ITERATIONS_RATIO_MAX FAILs (the demo gate preset, text_files.py)
# and fires PerfstackDroppedIterations; the Overview's open-model panels draw both levels.
DROPPED_ITERATIONS_WARN_ABOVE = 0.0
DROPPED_ITERATIONS_RATIO_MAX = 0.01
DROPPED_ITERATIONS_FOR = "30s"
# Generators push every few seconds; silence this long while a run has not ended means the
# pipeline (or the generator) is broken.
METRICS_SILENCE_SECONDS = 30
MEMORY_LEAK_FOR = "10s"  # the leak rule already demands sustained growth
# The least-squares RSS slope above which memory.yml suspects a leak: 256 KiB/s, so a
# 1 MB/s leak is flagged within a minute and a steady run's GC noise is not.
MEMORY_LEAK_SLOPE_BYTES_PER_SECOND = 262144

# Alert thresholds (after a run, from the verdict the gate pushes). No `for`: a verdict is
# a single pushed sample, final when it arrives.
GATE_ALERT_FOR = "0s"
# Because a verdict is a single sample, Prometheus's 5 min lookback would lose it (and its
# alert) 5 minutes after the push; the verdict alerts read it back over this window
# instead. While an alert fires Prometheus re-sends it to Alertmanager every minute
# (--rules.alert.resend-delay), so it is delivered after an Alertmanager outage of up to
# the window minus a minute and an evaluation interval (about 28 min); after the window
# it resolves, so an old FAIL does not page forever.
GATE_VERDICT_WINDOW = "30m"

# Change points `perfstack regressions` pushes (a sample each, stamped at detection):
# read back over this window like the verdicts, then resolved. Severity by the relative
# change for the worse (the seeds' tiers): minor from 10%, major from 25%, critical above 50%.
REGRESSION_WINDOW = "30m"
REGRESSION_MINOR = 0.10
REGRESSION_MAJOR = 0.25
REGRESSION_CRITICAL_ABOVE = 0.50

# The levels of the rule files loaded with `perfstack up --rules` (or generated with
# `perfstack gate alerts`), published by their recording rules as constants labelled
# ruleset, objective, sli, level (pass|warn) and name/target when the objective narrows to
# one. The dashboards' threshold lines read them and fall back to the defaults above when
# no rule file is loaded, so the line a team sees is the level its gate judges.
OBJECTIVE_THRESHOLD = "gate:objective_threshold:constant"

ALERT_PREFIX = "Perfstack"
# The repository has no public home yet (pyproject: example.invalid); change this and run
# `make generate` when it does. tests/dashboards check every anchor exists in the runbook.
RUNBOOK_BASE = "https://example.invalid/perfstack/blob/main/docs/runbook.md"
