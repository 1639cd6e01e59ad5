"""The real server on loopback and headless Chromium driving the real page: shared by the browser
tests (tests/e2e/) and the benchmark (bench/)."""
