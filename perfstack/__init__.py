"""perfstack: performance tests on Prometheus."""

__version__ = "0.1.0"
