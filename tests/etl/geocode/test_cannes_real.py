"""Real check: the file geocoder reproduces the BAN geocoder's answers for Cannes 2022 rows."""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from pathlib import Path

from tests.etl.conftest import FIXTURES
from tests.etl.geocode.conftest import run_geocoding

ANSWERS = FIXTURES / "cannes-ban-search-csv-result.csv"
ENEDIS = FIXTURES / "cannes-enedis-2022.csv"
BAN_HEADER = (
    "id",
    "id_fantoir",
    "numero",
    "rep",
    "nom_voie",
    "code_postal",
    "code_insee",
    "lon",
    "lat",
)
TRUSTED_SCORE = 0.6


def fold(text: str) -> str:
    """Upper case, no accents, punctuation as spaces; independent of the SQL under test."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).upper()
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", plain).split())


def ban_file_from_answers(answers: list[dict[str, str]]) -> str:
    """A BAN national file holding the `housenumber` answers; `rep` is the id's 4th part."""
    lines = [";".join(BAN_HEADER)]
    for a in answers:
        if a["result_type"] != "housenumber":
            continue
        parts = a["result_id"].split("_")
        rep = parts[3] if len(parts) > 3 else ""
        lines.append(
            ";".join(
                (
                    a["result_id"],
                    "",
                    a["result_housenumber"],
                    rep,
                    a["result_street"],
                    a["result_postcode"],
                    a["result_citycode"],
                    a["longitude"],
                    a["latitude"],
                )
            )
        )
    return "\n".join(lines) + "\n"


def trusted(answer: dict[str, str], enedis: dict[str, str]) -> bool:
    """A housenumber answer, score >= 0.6, on the Enedis street (>= 0.8 similar once folded)."""
    street = fold(f"{enedis['type_de_voie']} {enedis['libelle_de_voie']}")
    similar = difflib.SequenceMatcher(None, street, fold(answer["result_street"])).ratio()
    return (
        answer["result_type"] == "housenumber"
        and float(answer["result_score"]) >= TRUSTED_SCORE
        and similar >= 0.8
    )


def test_cannes_2022_reproduces_the_ban_geocoder(run_silver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    answers = list(csv.DictReader(ANSWERS.open(encoding="utf-8")))
    enedis = list(csv.DictReader(ENEDIS.open(encoding="utf-8"), delimiter=";"))
    assert [a["adresse"] for a in answers] == [e["adresse"] for e in enedis]
    run = run_silver(
        {
            "enedis/cannes-2022.csv": ENEDIS.read_bytes(),
            "ban/adresses-06.csv": ban_file_from_answers(answers),
        }
    )
    result = run_geocoding(run.zones.silver(run.report.run_id), tmp_path / "geocoded.parquet")
    ours = {r["adresse"]: r["ban_id"] for r in result.rows}
    reference = {
        e["adresse"]: a["result_id"] for a, e in zip(answers, enedis, strict=True) if trusted(a, e)
    }
    reproduced = sorted(a for a, ban_id in reference.items() if ours[a] == ban_id)
    # 73 housenumber answers; 72 score >= 0.6 on the same street (not `RUE RENE DE CHATEAUBRIAND`
    # → `Rue Chateaubriand`, 0.58); all 72 found again, including `CHEMIN RURAL DE LA FRAYERE`
    # (type CR vs CHEMIN, street_no_type) and `AVENUE DU 3 SEPTEMBRE` (`Trois`, exact).
    assert (len(reference), len(reproduced)) == (72, 72)
    report = result.report
    # Not found: the 8 rows the BAN geocoder placed on a street or a locality (no address in this
    # file) and `RENE DE CHATEAUBRIAND`, too far from `CHATEAUBRIAND` to be called the same street.
    assert (report.rows_in, report.matched, report.ambiguous, report.not_found) == (81, 72, 0, 9)
    assert report.by_method == {"ban_file:exact": 71, "ban_file:street_no_type": 1}
