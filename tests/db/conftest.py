"""Fixtures of the database tests: `wide_console` (for the Rich tables of `volt db`) now lives
in tests/conftest.py, shared with the CLI tests."""
