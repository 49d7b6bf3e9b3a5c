"""Load generators: `perfstack run` (Locust with loadgen/locust), scenarios, WebSocket load."""
