"""The `volt` command line: Typer commands only, no logic."""
