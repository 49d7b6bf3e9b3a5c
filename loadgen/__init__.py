"""Load generators: metric schema, remote-write push pipeline, Locust plugin, scenarios."""
