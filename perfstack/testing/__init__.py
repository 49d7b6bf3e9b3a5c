"""What the tests and the benchmarks under bench/ share: a free port, a private Prometheus
of their own and an instant query against it, a private VictoriaMetrics and vmagent, nginx
as a fast fixed-answer target.

Not imported by perfstack itself; it needs only perfstack's runtime dependencies (httpx)
and a `prometheus` binary when a PrometheusProcess is started.
"""

from perfstack.core.ports import free_port
from perfstack.testing.nginx import start_nginx
from perfstack.testing.prometheus import PrometheusProcess, prom_query
from perfstack.testing.victoria import VictoriaMetricsProcess, VmagentProcess

__all__ = [
    "PrometheusProcess",
    "VictoriaMetricsProcess",
    "VmagentProcess",
    "free_port",
    "prom_query",
    "start_nginx",
]
