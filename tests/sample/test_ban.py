"""BAN rows: interoperability keys, official projections, AFNOR names, communes déléguées."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
from pyproj import Transformer

from tests.sample.conftest import Sample
from tests.sample.helpers import all_ban
from volt.sample.addresses import generate_addresses
from volt.sample.ban import ban_rows
from volt.sample.catalogue import catalogue


def test_ids_are_interoperability_keys(demo: Sample) -> None:
    rows = all_ban(demo.root)
    assert len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        suffix = f"_{row['rep']}" if row["rep"] else ""
        voie = row["id"].split("_")[1]
        assert row["id"] == f"{row['code_insee']}_{voie}_{int(row['numero']):05d}{suffix}"
        assert row["id_fantoir"] in ("", f"{row['code_insee']}_{voie}")
    assert {r["rep"] for r in rows} == {"", "bis", "ter", "a", "b", "c"}


def test_x_y_are_in_the_official_projection(demo: Sample) -> None:
    """Lambert-93 in metropolitan France, RGR92 / UTM 40S (EPSG:2975) in La Réunion."""
    for epsg, departement in ((2154, "06"), (2154, "2A"), (2975, "974")):
        rows = [r for r in all_ban(demo.root) if r["id"].startswith(departement)][:200]
        to_xy = Transformer.from_crs(4326, epsg, always_xy=True)
        lon = np.array([float(r["lon"]) for r in rows])
        lat = np.array([float(r["lat"]) for r in rows])
        x, y = to_xy.transform(lon, lat)
        assert np.abs(x - np.array([float(r["x"]) for r in rows])).max() < 0.02
        assert np.abs(y - np.array([float(r["y"]) for r in rows])).max() < 0.02


def test_nom_afnor_is_upper_case_without_accents(demo: Sample) -> None:
    for row in all_ban(demo.root):
        plain = unicodedata.normalize("NFKD", row["nom_voie"].replace("œ", "oe").replace("Œ", "OE"))
        plain = "".join(c for c in plain if not unicodedata.combining(c))
        assert row["nom_afnor"] == " ".join(
            plain.upper().replace("'", " ").replace("-", " ").split()
        )
        assert row["nom_afnor"].isascii()
    accented = [r for r in all_ban(demo.root) if not r["nom_voie"].isascii()]
    assert len(accented) > 1000


def test_communes_deleguees_of_annecy(demo: Sample) -> None:
    annecy = [r for r in all_ban(demo.root) if r["code_insee"] == "74010"]
    deleguees = {(r["code_insee_ancienne_commune"], r["nom_ancienne_commune"]) for r in annecy}
    assert deleguees == {
        ("74010", "Annecy"), ("74011", "Annecy-le-Vieux"), ("74268", "Seynod"),
        ("74093", "Cran-Gevrier"), ("74182", "Meythet"), ("74217", "Pringy"),
    }  # fmt: skip
    others = {r["code_insee_ancienne_commune"] for r in all_ban(demo.root)} - {
        code for code, _ in deleguees
    }
    assert others == {""}


def test_trap_toponym_ids_without_fantoir_code() -> None:
    """Rural lieux-dits get ids like `48002_gh0oyt_00104` and an empty id_fantoir (Lozère)."""
    rural = [c for c in catalogue() if not c.real and c.density < 0.2 and c.addresses > 400]
    found = []
    for commune in rural[:40]:
        rng = np.random.default_rng([42, commune.index])
        rows = ban_rows(rng, generate_addresses(commune, rng))
        found += [r for r in rows if r[1] == "" and re.fullmatch(r".{5}_[a-z0-9]{6}_\d{5}", r[0])]
    assert len(found) > 20


def test_catalogue_is_national_scale_with_real_anchors() -> None:
    communes = catalogue()
    sizes = np.array([c.addresses for c in communes])
    assert 34_000 <= len(communes) <= 36_000
    assert 700 <= sizes.mean() <= 780
    assert len({c.insee for c in communes}) == len(communes)
    first = communes[:12]
    assert {c.insee for c in first} >= {"06029", "2A004", "2B033", "97411", "48095", "74010"}
    assert sum(c.addresses for c in first) == 10_500
    assert {c.city for c in first if c.city != c.insee} == {"69123", "75056"}
