"""One test per data trap of the bronze → silver stage, named after the trap, exact counts."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.etl.conftest import ENEDIS_HEADER
from volt.errors import InputFormatError

ENEDIS_ROW = (
    "2022;060290102;La Source;13;;RUE;LACOUR;06029;Cannes;RESIDENTIEL;60;70.96;1.183;2.96;"
    "13 RUE LACOUR;200039915;06;93;60015"
)
FRENCH_LABELS = (
    "Année;Code IRIS;Nom IRIS;Numéro de voie;Indice de répétition;Type de voie;Libellé de voie;"
    "Code Commune;Nom Commune;Segment de client;Nombre de logements;"
    "Consommation annuelle totale de l'adresse (MWh);"
    "Consommation annuelle moyenne par logement de l'adresse (MWh);"
    "Consommation annuelle moyenne de la commune (MWh);Adresse;Code EPCI;Code Département;"
    "Code Région;Tri des adresses"
)
DPE_CURRENT = (
    "numero_dpe,date_etablissement_dpe,type_batiment,etiquette_dpe,etiquette_ges,"
    "conso_5_usages_par_m2_ep,conso_5_usages_par_m2_ef,emission_ges_5_usages_par_m2,"
    "surface_habitable_logement,type_energie_principale_chauffage,identifiant_ban,"
    "code_insee_ban,numero_dpe_remplace,adresse_brut"
)
DPE_LEGACY = (
    "N°DPE,Date_établissement_DPE,Type_bâtiment,Etiquette_DPE,Etiquette_GES,"
    "Conso_5_usages_par_m²_é_primaire,Conso_5_usages/m²_é_finale,Emission_GES_5_usages_par_m²,"
    "Surface_habitable_logement,Type_énergie_principale_chauffage,Identifiant__BAN,"
    "Code_INSEE_(BAN),N°_DPE_remplacé,Adresse_brute"
)
DPE_ROW = (
    "2306E0000001A,2023-04-18,appartement,D,B,200.5,87.2,8.1,54.0,Électricité,"
    "06029_1900_00013,06029,,13 rue Lacour"
)
BAN_HEADER = (
    "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;"
    "code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;"
    "libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;"
    "cad_parcelles"
)
BAN_ROW = (
    "06029_1900_00013;06029_1900;13;;Rue Lacour;06400;06029;Cannes;;;1025811.89;6281488.6;"
    "7.032038;43.549015;entrée;;;CANNES;RUE LACOUR;commune;commune;1;"
)


def enedis(*rows: str, header: str = ENEDIS_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def test_enedis_field_ids_and_french_labels_give_the_same_silver(run_silver) -> None:
    run = run_silver(
        {
            "enedis/ids.csv": enedis(ENEDIS_ROW),
            "enedis/labels.csv": enedis(ENEDIS_ROW, header=FRENCH_LABELS),
        }
    )
    a, b = run.rows("enedis", "_file")
    assert {k: v for k, v in a.items() if k != "_file"} == {
        k: v for k, v in b.items() if k != "_file"
    }
    assert a["consommation_totale_mwh"] == 70.96 and a["nombre_de_logements"] == 60


def test_enedis_data_fair_spelling_de_ladresse(run_silver) -> None:
    header = ENEDIS_HEADER.replace("_de_l_adresse_", "_de_ladresse_")
    assert "_de_ladresse_mwh" in header
    run = run_silver({"enedis/df.csv": enedis(ENEDIS_ROW, header=header)})
    (row,) = run.rows("enedis")
    assert (row["consommation_totale_mwh"], row["consommation_moyenne_mwh"]) == (70.96, 1.183)


def test_bom_before_the_first_header(run_silver) -> None:
    data = b"\xef\xbb\xbf" + enedis(ENEDIS_ROW, header=FRENCH_LABELS).encode("utf-8")
    run = run_silver({"enedis/export.csv": data})
    (row,) = run.rows("enedis")
    assert row["annee"] == 2022  # the first column survived the BOM
    assert run.stage("enedis").files[0].header_variant == "label/legacy keys, sep ';', BOM"


def test_semicolon_or_comma_separators(run_silver) -> None:
    comma = enedis(ENEDIS_ROW).replace(";", ",")
    run = run_silver({"enedis/a.csv": enedis(ENEDIS_ROW), "enedis/b.csv": comma})
    rows = run.rows("enedis", "_file")
    assert [r["libelle_de_voie"] for r in rows] == ["LACOUR", "LACOUR"]


def test_numbers_as_floats_and_with_decimal_commas(run_silver) -> None:
    row = ENEDIS_ROW.replace(";60;70.96;1.183;", ";60.0;70,96;1,183;")
    run = run_silver({"enedis/x.csv": enedis(row)})
    (r,) = run.rows("enedis")
    assert (r["nombre_de_logements"], r["consommation_totale_mwh"]) == (60, 70.96)
    assert r["consommation_moyenne_mwh"] == 1.183


def test_codes_that_lost_their_leading_zero(run_silver) -> None:
    row = ENEDIS_ROW.replace(";060290102;", ";60290102;").replace(";06029;", ";6029;")
    row = row.replace(";06;93;", ";6;93;")
    dpe = DPE_CURRENT + "\n" + DPE_ROW.replace(",06029,,", ",6029,,") + "\n"
    run = run_silver({"enedis/x.csv": enedis(row), "dpe/x.csv": dpe})
    (e,) = run.rows("enedis")
    assert (e["code_commune"], e["code_iris"], e["code_departement"]) == (
        "06029",
        "060290102",
        "06",
    )
    (d,) = run.rows("dpe")
    assert (d["code_insee"], d["code_departement"]) == ("06029", "06")
    postal = "numero_dpe,type_batiment,etiquette_dpe,code_insee_ban,code_postal_ban\n"
    run2 = run_silver({"dpe/p.csv": postal + "2174N0407083G,appartement,C,74010,74000\n"})
    assert run2.rows("dpe")[0]["code_postal_ban"] == "74000"


def test_corsica_2a_2b_and_overseas_97x(run_silver) -> None:
    rows = [
        ENEDIS_ROW.replace("060290102", "2A0040101")
        .replace(";06029;", ";2A004;")
        .replace(";06;93;", ";2A;94;"),
        ENEDIS_ROW.replace("060290102", "2B0330101")
        .replace(";06029;", ";2B033;")
        .replace(";06;93;", ";;94;"),
        ENEDIS_ROW.replace("060290102", "974110101")
        .replace(";06029;", ";97411;")
        .replace(";06;93;", ";974;04;"),
    ]
    run = run_silver({"enedis/x.csv": enedis(*rows)})
    got = [(r["code_commune"], r["code_departement"]) for r in run.rows("enedis", "code_commune")]
    assert got == [("2A004", "2A"), ("2B033", "2B"), ("97411", "974")]
    assert run.stage("enedis").flags == {"departement_derived": 1}
    parts = sorted(p.name for p in (run.zones.silver(run.report.run_id) / "enedis").glob("*/*"))
    assert parts == ["code_departement=2A", "code_departement=2B", "code_departement=974"]


def test_dpe_legacy_and_current_keys_map_to_the_same_columns(run_silver) -> None:
    run = run_silver(
        {
            "dpe/current.csv": DPE_CURRENT + "\n" + DPE_ROW + "\n",
            "dpe/legacy.csv": DPE_LEGACY + "\n" + DPE_ROW.replace("0001A", "0002B") + "\n",
            "dpe/legacy.jsonl": json.dumps(
                dict(
                    zip(
                        DPE_LEGACY.split(","),
                        DPE_ROW.replace("0001A", "0003C").split(","),
                        strict=True,
                    )
                )
            )
            + "\n",
        }
    )
    rows = run.rows("dpe", "numero_dpe")
    assert [r["numero_dpe"] for r in rows] == ["2306E0000001A", "2306E0000002B", "2306E0000003C"]

    def strip(r: dict) -> dict:  # type: ignore[type-arg]
        return {k: v for k, v in r.items() if k not in ("numero_dpe", "_file")}

    assert strip(rows[0]) == strip(rows[1]) == strip(rows[2])
    assert rows[0]["conso_5_usages_par_m2_ef"] == 87.2 and rows[0]["is_electric_heating"] is True


def test_french_and_iso_dates(run_silver) -> None:
    french = DPE_ROW.replace("2023-04-18", "18/04/2023").replace("0001A", "0002B")
    timestamp = DPE_ROW.replace("2023-04-18", "2023-04-18T10:22:00").replace("0001A", "0003C")
    run = run_silver({"dpe/x.csv": "\n".join([DPE_CURRENT, DPE_ROW, french, timestamp]) + "\n"})
    dates = {str(r["date_etablissement_dpe"]) for r in run.rows("dpe")}
    assert dates == {"2023-04-18"}


def test_duplicate_numero_dpe_keeps_the_latest_and_rejects_the_rest(run_silver) -> None:
    older = DPE_ROW.replace("2023-04-18", "2022-01-05").replace(",D,B,", ",E,B,")
    run = run_silver({"dpe/x.csv": "\n".join([DPE_CURRENT, older, DPE_ROW, DPE_ROW]) + "\n"})
    (kept,) = run.rows("dpe")
    assert (kept["etiquette_dpe"], str(kept["date_etablissement_dpe"])) == ("D", "2023-04-18")
    stage = run.stage("dpe")
    assert (stage.rows_in, stage.rows_out, stage.rows_rejected) == (3, 1, 2)
    assert stage.reject_reasons == {
        "numero_dpe: duplicate, the copy with the latest date was kept": 2
    }


def test_replaced_dpe_is_flagged_not_dropped(run_silver) -> None:
    newer = DPE_ROW.replace("0001A", "0009Z").replace(",,13 rue", ",2306E0000001A,13 rue")
    run = run_silver({"dpe/x.csv": "\n".join([DPE_CURRENT, DPE_ROW, newer]) + "\n"})
    got = {r["numero_dpe"]: r["is_replaced"] for r in run.rows("dpe")}
    assert got == {"2306E0000001A": True, "2306E0000009Z": False}


def test_embedded_newlines_in_quoted_fields(run_silver) -> None:
    row = DPE_ROW.replace("13 rue Lacour", '"13 rue Lacour\nEtage 2, porte ""B"""')
    run = run_silver(
        {"dpe/x.csv": "\n".join([DPE_CURRENT, row, DPE_ROW.replace("1A", "2B")]) + "\n"}
    )
    stage = run.stage("dpe")
    assert (stage.rows_in, stage.rows_out, stage.rows_rejected) == (2, 2, 0)
    assert run.report.stages[0].files[0].rows == 2  # bronze counts records, not lines


def test_unknown_extra_columns_are_ignored_and_reported(run_silver) -> None:
    header = ENEDIS_HEADER + ";colonne_inconnue;autre"
    run = run_silver({"enedis/x.csv": enedis(ENEDIS_ROW + ";x;y", header=header)})
    assert run.stage("enedis").files[0].extra_columns == ("colonne_inconnue", "autre")
    assert "colonne_inconnue" not in run.rows("enedis")[0]


def test_missing_required_columns_name_them_and_write_nothing(run_silver, tmp_path: Path) -> None:
    header = ENEDIS_HEADER.replace("nombre_de_logements;", "").replace("libelle_de_voie;", "")
    with pytest.raises(InputFormatError) as err:
        run_silver(
            {
                "enedis/bad.csv": enedis(ENEDIS_ROW, header=header),
                "ban/adresses-06.csv": BAN_HEADER + "\n" + BAN_ROW + "\n",
            }
        )
    assert (
        "enedis/bad.csv (enedis): missing required column(s) libelle_de_voie, nombre_de_logements"
        in str(err.value)
    )
    assert not (tmp_path / "zones").exists()


def test_rows_that_cannot_be_typed_are_rejected_with_their_reason(run_silver) -> None:
    bad_number = ENEDIS_ROW.replace(";70.96;", ";soixante-dix;")
    bad_year = ENEDIS_ROW.replace("2022;", "deux-mille;", 1)
    bad_code = ENEDIS_ROW.replace(";06029;", ";CANNES;")
    too_many = ENEDIS_ROW + ";extra"
    run = run_silver({"enedis/x.csv": enedis(ENEDIS_ROW, bad_number, bad_year, bad_code, too_many)})
    stage = run.stage("enedis")
    assert (stage.rows_in, stage.rows_out, stage.rows_rejected) == (5, 1, 4)
    assert stage.balanced
    assert stage.reject_reasons == {
        "annee: not a valid year": 1,
        "code_commune: not a valid code insee": 1,
        "consommation_annuelle_totale_de_l_adresse_mwh: not a valid float": 1,
        "malformed CSV line: TOO MANY COLUMNS": 1,
    }
    raws = [r["raw"] for r in run.rejects("enedis")]
    assert any("soixante-dix" in r for r in raws) and any(r.endswith(";extra") for r in raws)


def test_malformed_json_line_is_rejected_with_its_text(run_silver) -> None:
    good = json.dumps(dict(zip(DPE_LEGACY.split(","), DPE_ROW.split(","), strict=True)))
    run = run_silver({"dpe/x.jsonl": good + "\n\n{not json\n"})  # a blank line is no record
    stage = run.stage("dpe")
    assert (stage.rows_in, stage.rows_out, stage.rows_rejected) == (2, 1, 1)
    (reject,) = run.rejects("dpe")
    assert reject["reason"] == "malformed JSON line" and "{not json" in reject["raw"]


def test_year_and_departement_scope_counts_the_rest_as_out_of_scope(run_silver) -> None:
    other_year = ENEDIS_ROW.replace("2022;", "2021;", 1)
    other_dep = ENEDIS_ROW.replace(";06029;", ";69123;").replace(";06;93;", ";69;84;")
    run = run_silver({"enedis/x.csv": enedis(ENEDIS_ROW, other_year, other_dep)}, 2022, "06")
    stage = run.stage("enedis")
    assert (stage.rows_in, stage.rows_out, stage.rows_out_of_scope) == (3, 1, 2)
    assert stage.balanced


def test_ban_files_of_other_departements_are_not_even_copied(run_silver) -> None:
    other = BAN_ROW.replace("06029", "69381").replace("06400", "69001")
    run = run_silver(
        {
            "ban/adresses-06.csv": BAN_HEADER + "\n" + BAN_ROW + "\n",
            "ban/adresses-69.csv": BAN_HEADER + "\n" + other + "\n",
        },
        departement="06",
    )
    bronze = run.report.stages[0]
    assert [Path(f.path).name for f in bronze.files] == ["adresses-06.csv"]
    assert [r["id"] for r in run.rows("ban")] == ["06029_1900_00013"]


def test_gzipped_ban_national_file(run_silver) -> None:
    data = gzip.compress((BAN_HEADER + "\n" + BAN_ROW + "\n").encode("utf-8"))
    run = run_silver({"ban/adresses-06.csv.gz": data})
    (row,) = run.rows("ban")
    assert (row["code_insee"], row["code_postal"], row["lon"]) == ("06029", "06400", 7.032038)
    assert run.report.stages[0].files[0].rows == 1


def test_progress_reports_every_stage_in_order(tmp_path: Path) -> None:
    from tests.etl.conftest import NullProgress, write_inputs
    from volt.etl.pipeline import FilesRun, run_etl
    from volt.etl.transforms.duck import DuckConfig
    from volt.etl.zones import Zones

    inputs = write_inputs(tmp_path / "in", {"enedis/x.csv": enedis(ENEDIS_ROW)})
    progress = NullProgress()
    run = FilesRun(inputs, Zones(tmp_path / "z"), DuckConfig("256MB", 1), stop_after="silver")
    run_etl(run, progress)
    assert [e for e in progress.events if e[0] != "advance"] == [
        ("stage", "bronze"),
        ("done", "bronze/all"),
        ("stage", "silver"),
        ("done", "silver/enedis"),
    ]
