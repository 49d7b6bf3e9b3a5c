"""Kubernetes manifests for a perfstack run (a kustomize base and an example overlay),
generated from these modules like the dashboards, and the gate Job's entry point.

`python -m perfstack.kubernetes` writes deploy/kubernetes/ (`--check`: fail on drift);
docs/kubernetes.md says how to use them on a cluster.
"""
