"""Resource exporter (psutil) and the in-process helper for Python targets."""
