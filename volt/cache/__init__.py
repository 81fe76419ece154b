"""The cache backend: one `Cache` protocol, an in-process memory and a Redis implementation."""
