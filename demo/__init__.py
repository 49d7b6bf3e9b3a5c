"""The demo target: a small ASGI app with latency, error, leak and stall knobs."""
