"""`volt sample`: write sample input files in the exact real formats of the three sources."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from volt.cli.common import console, handle_errors
from volt.sample import SampleReport, check_request, generate_sample, parse_years

app = typer.Typer(help="Sample data: BAN, ADEME DPE and Enedis files in their real formats.")


@app.callback()
def main() -> None:
    """Sample data in the formats volt reads (see `volt sample generate --help`)."""


@app.command("generate")
@handle_errors
def generate(
    outdir: Path = typer.Argument(..., help="Directory to write ban/, dpe/ and enedis/ into."),
    communes: int = typer.Option(12, help="First N communes of the catalogue (12: a demo)."),
    years: str = typer.Option("2021,2022,2023", help="Enedis years, comma-separated."),
    seed: int = typer.Option(42, help="Same seed, byte-identical files."),
) -> None:
    """Generate a deterministic sample: BAN addresses, DPE and Enedis consumption."""
    year_list = check_request(outdir, communes, parse_years(years))
    report = generate_with_progress(outdir, communes, year_list, seed)
    console.print(_summary(report))
    seconds = max(report.seconds, 1e-9)
    console.print(
        f"{report.communes:,} communes, {report.addresses:,} addresses in {report.seconds:.1f} s: "
        f"{report.rows() / seconds:,.0f} rows/s, {report.rows('dpe') / seconds:,.0f} DPE rows/s."
    )


def generate_with_progress(
    outdir: Path, communes: int, years: Sequence[int], seed: int
) -> SampleReport:
    """The generator behind a Rich progress bar (communes done / total); shared with `demo`."""
    columns = (TextColumn("communes"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("communes", total=communes)
        return generate_sample(
            outdir,
            communes=communes,
            years=years,
            seed=seed,
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
        )


def _summary(report: SampleReport) -> Table:
    table = Table(title=f"Sample in {report.outdir} (seed {report.seed})")
    for name in ("source", "variant", "files", "rows", "MB"):
        table.add_column(name, justify="left" if name in ("source", "variant") else "right")
    for total in report.by_variant():
        table.add_row(
            total.source, total.variant, str(total.files), f"{total.rows:,}", _mb(total.bytes)
        )
    table.add_section()
    table.add_row("all", "", str(len(report.files)), f"{report.rows():,}", _mb(report.bytes))
    return table


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f}"
