"""`volt demo`: the main job on the embedded default — sample data → database → ETL → summary,
then the API serving it (`--no-serve` stops after the summary)."""

from __future__ import annotations

import shutil

import typer
from rich.panel import Panel

from volt.cli import serve as serve_cli
from volt.cli.common import console, handle_errors, settings_from_env
from volt.cli.demo_guide import ensure_demo_admin, guide
from volt.cli.etl import print_run, run_pipeline
from volt.cli.sample import generate_with_progress
from volt.db.dsn import DbRole, redact, role_dsn
from volt.db.migrate import upgrade
from volt.etl.zones import Zones

DEMO_YEARS = (2021, 2022, 2023)


@handle_errors
def demo(
    communes: int = typer.Option(12, min=1, help="Communes in the generated sample."),
    seed: int = typer.Option(42, help="Seed of the sample generator (same seed, same files)."),
    fresh: bool = typer.Option(False, help="Regenerate the sample even if it exists."),
    serve: bool = typer.Option(True, help="Serve the API on the loaded data at the end."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port of the API (127.0.0.1)."),
) -> None:
    """Generate a sample in the real formats, set up the database, run the ETL on it, and serve
    the API on the result (Ctrl-C stops it)."""
    settings = settings_from_env()
    input_dir = settings.data_dir / "demo" / f"sample-{communes}-{seed}"
    mode = "embedded PostgreSQL" if settings.embedded else "services mode"
    console.print(Panel.fit(f"volt demo — data dir {settings.data_dir} ({mode})", style="bold"))

    complete = input_dir / ".complete"  # an interrupted generation leaves no marker
    if input_dir.exists() and (fresh or not complete.exists()):
        shutil.rmtree(input_dir)
    if not input_dir.exists():
        console.print(f"[bold]1/3[/] Generating a {communes}-commune sample in {input_dir}")
        sample = generate_with_progress(input_dir, communes, DEMO_YEARS, seed)
        complete.touch()
        console.print(
            f"    {len(sample.files)} files, {sample.rows('dpe'):,} DPE, "
            f"{sample.rows('enedis'):,} Enedis rows, {sample.addresses:,} BAN addresses"
        )
    else:
        console.print(f"[bold]1/3[/] Reusing the sample in {input_dir} (--fresh to regenerate)")

    console.print("[bold]2/3[/] Starting the database and applying migrations")
    report = upgrade(settings)
    console.print(
        f"    {redact(role_dsn(settings, DbRole.OWNER))} — PostgreSQL {report.server_version}, "
        f"schema {report.schema} at revision {report.revision}"
    )

    console.print("[bold]3/3[/] Running the ETL: files → bronze → silver → gold → gates → load")
    run = run_pipeline(settings, input_dir, None, None)
    print_run(run, Zones.from_url(settings.zones_location))
    if run.status != "succeeded":
        raise typer.Exit(1)
    console.print(
        "Next: `volt etl runs` lists runs, `volt db url` prints the database address; the "
        "embedded PostgreSQL keeps running for them (`volt db stop` stops it)."
    )
    base = f"http://127.0.0.1:{port}"
    console.print(Panel.fit("The API on this data", style="bold"))
    for line in guide(settings, base, ensure_demo_admin(settings), communes):
        # Commands stay on one line (copy-paste), brackets are not markup.
        console.print(line, soft_wrap=True, markup=False, highlight=False)
    if not serve:
        console.print(f"(--no-serve: start it with `volt serve --port {port}`)")
        return
    serve_cli.serve(host="127.0.0.1", port=port, workers=1, log_level="info")
