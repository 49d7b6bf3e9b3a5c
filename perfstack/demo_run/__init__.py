"""The `perfstack demo` command: the local stack, the demo target and a short run."""
