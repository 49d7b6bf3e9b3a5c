"""The import path locustfiles written for earlier releases use: `import loadgen.locust_plugin`
registers perfstack with Locust exactly as `import loadgen.locust.plugin` does."""

import loadgen.locust.plugin  # noqa: F401
