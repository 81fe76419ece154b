"""`volt replay serve`: a local stand-in for the Enedis, ADEME and BAN hosts, fed by a world dir."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from volt.cli.common import console, handle_errors
from volt.etl.sources.replay import ReplayServer, World

app = typer.Typer(help="Replay server: the web sources answered locally from recorded files.")


@app.callback()
def main() -> None:
    """Replay the web sources locally (see `volt replay serve --help`)."""


@app.command("serve")
@handle_errors
def serve(
    world: Path = typer.Argument(..., help="World directory (e.g. from `volt sample generate`)."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8765, min=0, max=65535, help="TCP port (0: any free port)."),
    latency: float = typer.Option(0.0, min=0.0, help="Seconds added before every answer."),
) -> None:
    """Serve data-fair, Explore, the BAN files and the geocoder at the real hosts' paths."""
    server = ReplayServer(World.load(world), host=host, port=port, latency_s=latency)
    console.print(_summary(server))
    console.print(f"Replaying {world} on {server.url} — point volt at it with:")
    for name, value in server.env().items():
        console.print(f"  export {name}={value}", highlight=False)
    console.file.flush()  # a parent process reads the URL from a pipe
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("stopped")


def _summary(server: ReplayServer) -> Table:
    table = Table(title="Replayed datasets")
    for name in ("dataset", "rows", "dataUpdatedAt"):
        table.add_column(name, justify="right" if name == "rows" else "left", no_wrap=True)
    for dataset_id, rows, updated in server.world.summary():
        table.add_row(dataset_id, f"{rows:,}", updated)
    deps = ", ".join(f.departement for f in server.world.ban_files()) or "none"
    table.add_section()
    table.add_row("BAN files", deps, "")
    table.add_row("geocoder recordings", f"{len(server.world.geocoder_recordings):,}", "")
    return table
