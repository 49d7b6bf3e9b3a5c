"""The PromQL gate: rule files, evaluation, baselines, outputs."""
