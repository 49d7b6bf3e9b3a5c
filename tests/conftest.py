pytest_plugins = [
    "tests.fixtures.stack",
    "tests.fixtures.stores",
    "tests.fixtures.demo_target",
    "tests.fixtures.demo_run",
    "tests.fixtures.mermaid",
    "tests.fixtures.parallel",
]
