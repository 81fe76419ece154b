"""Shared HTTP glue: dependencies, error handlers, rate limiting, tokens; no feature logic."""
