from perfstack.core.processes import take_sigint

pytest_plugins = [
    "tests.fixtures.stack",
    "tests.fixtures.stores",
    "tests.fixtures.demo_target",
    "tests.fixtures.demo_run",
    "tests.fixtures.mermaid",
    "tests.fixtures.parallel",
]

# The suite started in the background of a script (`make test &`, nohup) inherits an ignored
# SIGINT, and so would every process it starts: the tests that stop plain Locust with its
# Ctrl-C would wait out its grace period instead. Each xdist worker imports this too.
take_sigint()
