"""Privacy contract, end to end: every data route's output on demo data (generated sample → ETL →
PostgreSQL) holds no DPE number, no apartment complement, no residence name and no raw DPE
address — whatever the format (JSON, CSV, GeoJSON).

Routes are walked from the OpenAPI document, so a new route is scanned without editing this test;
a route with a required parameter this test cannot fill fails it, naming the parameter.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.conftest import CLIENT_IP, GENEROUS_LIMITS, migrated_database
from tests.etl.conftest import NullProgress
from volt import __version__
from volt.api.tokens import issue_token
from volt.app import create_app
from volt.auth import users
from volt.config import Settings, load_settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.domain.roles import Role
from volt.etl.load import PostgresRunRecorder
from volt.etl.pipeline import FilesRun, run_etl
from volt.etl.publish import PostgresPublisher
from volt.etl.transforms.duck import DuckConfig
from volt.etl.zones import Zones
from volt.sample.generator import generate_sample

DEMO_COMMUNES = 6
# Spellings of the fields that must never leave the server, in the current and legacy DPE keys.
SECRET_FIELDS = {
    "numero_dpe", "N°DPE", "N°_DPE", "numero_dpe_remplace", "N°_DPE_remplacé",
    "numero_dpe_immeuble_associe", "N°_DPE_immeuble_associé",
    "complement_adresse_logement", "Complément_d'adresse_logement",
    "complement_adresse_batiment", "Complément_d'adresse_bâtiment",
    "nom_residence", "Nom_résidence", "adresse_brut", "Adresse_brute",
}  # fmt: skip
# Short values ("Bât A", "3") also occur in honest text; only values this long are searched.
MIN_SECRET_LENGTH = 8


@pytest.fixture(scope="module")
def demo(
    database_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, Path]:
    """A migrated database loaded by the real pipeline from a generated sample."""
    root = tmp_path_factory.mktemp("privacy")
    base = migrated_database(database_factory, root / "data", "privacy")
    settings = load_settings(**(base.model_dump() | {"rate_limits": GENEROUS_LIMITS}))
    sample = root / "sample"
    generate_sample(sample, communes=DEMO_COMMUNES, seed=11)
    run = FilesRun(sample, Zones(root / "zones"), DuckConfig("512MB", 2))
    report = run_etl(
        run,
        NullProgress(),
        PostgresRunRecorder(settings, "test"),
        None,
        PostgresPublisher(settings, __version__),
    )
    assert report.status == "succeeded", report.message
    return settings, sample


def secrets_of(sample: Path, published: set[str]) -> set[str]:
    """Every value of the secret fields in the DPE input files, except raw addresses that are
    addresses Enedis itself publishes (a building of ≥ 10 dwellings): those are public."""
    found: set[str] = set()
    for path in sorted((sample / "dpe").iterdir()):
        reader = (
            f"read_json('{path}', format='newline_delimited', records=true)"
            if path.suffix == ".jsonl"
            else f"read_csv('{path}', all_varchar=true, header=true)"
        )
        columns = [r[0] for r in duckdb.sql(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
        for column in set(columns) & SECRET_FIELDS:
            rows = duckdb.sql(f'SELECT DISTINCT "{column}"::VARCHAR FROM {reader}').fetchall()
            found |= {str(r[0]).strip() for r in rows if r[0] is not None}
    return {s for s in found if len(s) >= MIN_SECRET_LENGTH and _address_key(s) not in published}


def _address_key(text: str) -> str:
    return " ".join(text.lower().split())


def published_addresses(settings: Settings) -> set[str]:
    """Building addresses as published: number, BAN suffix (`bis`, `a`…), street name."""
    with connect(settings, DbRole.READER) as conn:
        rows = conn.execute(
            "SELECT DISTINCT ban_id, numero, nom_voie FROM buildings WHERE numero IS NOT NULL"
        ).fetchall()
    found = set()
    for ban_id, numero, nom_voie in rows:
        parts = ban_id.split("_")
        suffix = parts[3] if len(parts) > 3 else None
        found.add(_address_key(" ".join(w for w in (numero, suffix, nom_voie) if w)))
        found.add(_address_key(f"{numero} {nom_voie}"))
    return found


def leaks(secrets: set[str], text: str) -> list[str]:
    """Secrets found as whole words ("5 Quai X" inside "15 Quai X" is not a leak)."""
    return sorted(
        s for s in secrets if s in text and re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text)
    )


@pytest.fixture(scope="module")
def client(demo: tuple[Settings, Path]) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings, _ = demo
    with connect(settings, DbRole.WRITER) as conn:
        user = users.add_user(conn, settings, "scanner@example.org", admin=True)
    token = issue_token(settings, user.id, Role.ADMIN).access_token
    with TestClient(create_app(settings), client=(CLIENT_IP, 50000)) as test_client:
        yield test_client, {"Authorization": f"Bearer {token}"}


def parameter_values(settings: Settings) -> dict[str, list[str]]:
    """Values for every parameter name the data routes use, taken from the loaded data."""
    with connect(settings, DbRole.READER) as conn:
        row = conn.execute(
            "SELECT code_insee, code_departement, street_code, annee, nom_voie FROM buildings "
            "GROUP BY 1, 2, 3, 4, 5 ORDER BY count(*) DESC, 1, 3 LIMIT 1"
        ).fetchone()
        assert row is not None
        commune, departement, street, year, street_name = row
        name = conn.execute("SELECT nom FROM communes WHERE code_insee = %s", (commune,))
        commune_name = (name.fetchone() or ("",))[0]
    return {
        "code_insee": [commune],
        "commune": [commune],
        "departement": [departement],
        "street": [street],
        "year": [str(year)],
        "q": [commune_name[:6], street_name or commune_name],
        "level": ["commune", "street", "departement"],
        "code": [commune],
        "parent": [departement],
        # DPE cuts: the breakdown needs a dimension; the statistics take one filter at a time.
        "dimension": ["type_batiment"],
        "by": ["etiquette_dpe"],
        "type_batiment": ["appartement"],
        "periode_construction": ["avant_1948"],
        "energie_chauffage": ["electricite"],
        "metric": ["dpe_ep_kwh_m2"],
    }


def urls(app: FastAPI, values: dict[str, list[str]]) -> dict[str, list[str]]:
    """Per GET operation under /v1: URLs with its required parameters, then with each optional
    parameter this test knows added alone (some routes take one filter of several), each also
    with format=csv where the route offers it."""
    found: dict[str, list[str]] = {}
    for path, item in app.openapi()["paths"].items():
        operation = item.get("get")
        if operation is None or not path.startswith("/v1/"):
            continue
        params = [p for p in operation.get("parameters", []) if p["in"] == "query"]
        missing = [
            p["name"]
            for p in operation.get("parameters", [])
            if p.get("required") and p["name"] not in values
        ]
        assert not missing, f"{path}: add a value for {missing} to parameter_values()"
        required = {p["name"]: values[p["name"]][0] for p in params if p.get("required")}
        optional = [p["name"] for p in params if not p.get("required") and p["name"] in values]
        variants = [required] + [required | {name: values[name][0]} for name in optional]
        exports = any(p["name"] == "format" for p in params)
        for concrete in _fill_path(path, values):
            for query in variants:
                text = "&".join(f"{k}={v}" for k, v in query.items())
                found.setdefault(path, []).append(f"{concrete}?{text}")
                if exports:
                    found[path].append(f"{concrete}?{text}&format=csv")
    return found


def _fill_path(path: str, values: dict[str, list[str]]) -> list[str]:
    if "{level}" in path:
        return [
            path.replace("{level}", level).replace("{code}", code)
            for level, code in _level_codes(values)
        ]
    for name, options in values.items():
        path = path.replace("{" + name + "}", options[0])
    return [path]


def _level_codes(values: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [
        ("commune", values["commune"][0]),
        ("street", values["street"][0]),
        ("departement", values["departement"][0]),
    ]


def test_no_route_output_holds_a_dpe_number_complement_or_raw_address(
    demo: tuple[Settings, Path], client: tuple[TestClient, dict[str, str]]
) -> None:
    settings, sample = demo
    test_client, auth = client
    secrets = secrets_of(sample, published_addresses(settings))
    assert len(secrets) > 50  # the sample does carry DPE numbers, complements, raw addresses
    some = sorted(secrets)[0]
    assert leaks(secrets, f'{{"x": "{some}"}}') == [some]  # the scan would see one
    app = test_client.app
    assert isinstance(app, FastAPI)
    answered: dict[str, int] = {}
    for path, path_urls in urls(app, parameter_values(settings)).items():
        answered[path] = 0
        for url in path_urls:
            response = test_client.get(url, headers=auth)
            assert response.status_code in (200, 404, 422), f"{url}: {response.status_code}"
            if response.status_code != 200:
                continue
            leaked = leaks(secrets, _text_of(response))
            assert not leaked, f"{url} leaks {leaked[:5]}"
            answered[path] += 1
    # Every data route was seen answering with data at least once.
    assert [p for p, n in answered.items() if n == 0] == []
    assert len(answered) >= 3


def _text_of(response: Any) -> str:
    kind = response.headers.get("content-type", "")
    if kind.startswith("text/csv"):
        return "\n".join(",".join(row) for row in csv.reader(response.text.splitlines()))
    if "json" in kind:
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode("utf-8", "replace")
