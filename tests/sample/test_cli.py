"""`volt sample generate`: writes a sample and a summary; bad options exit with code 2."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from volt.cli.sample import app

runner = CliRunner()


def said(output: str) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(output.split())


def test_generate_writes_the_files_and_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "sample"
    result = runner.invoke(app, ["generate", str(out), "--communes", "3", "--years", "2022"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "enedis").iterdir()) == [
        "consommation-annuelle-residentielle-par-adresse-2022-06.csv",
        "consommation-annuelle-residentielle-par-adresse-2022-2A.csv",
        "consommation-annuelle-residentielle-par-adresse-2022-69.csv",
    ]
    assert "portal-labels" in said(result.output) and "DPE rows/s" in said(result.output)
    assert "3 communes, 2,900 addresses" in said(result.output)


def test_bad_years_exit_with_code_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", str(tmp_path / "s"), "--years", "2021,twenty"])
    assert result.exit_code == 2
    assert "--years must be comma-separated years, got '2021,twenty'" in said(result.output)
    assert not (tmp_path / "s").exists()


def test_years_out_of_range_exit_with_code_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", str(tmp_path / "s"), "--years", "2017"])
    assert result.exit_code == 2
    assert "Years must be between 2018 and 2026, got 2017" in said(result.output)


def test_no_communes_exits_with_code_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", str(tmp_path / "s"), "--communes", "0"])
    assert result.exit_code == 2
    assert "--communes must be between 1 and 35,020, got 0" in said(result.output)


def test_a_directory_holding_a_sample_is_refused(tmp_path: Path) -> None:
    args = ["generate", str(tmp_path), "--communes", "1", "--years", "2022"]
    assert runner.invoke(app, args).exit_code == 0
    before = sorted(p.stat().st_mtime_ns for p in tmp_path.rglob("*.csv"))
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "already holds sample files" in said(result.output)
    assert sorted(p.stat().st_mtime_ns for p in tmp_path.rglob("*.csv")) == before
