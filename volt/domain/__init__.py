"""Pure domain code (no I/O): codes, the DPE label engine, later the metric registry and roles."""
