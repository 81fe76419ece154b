"""Normalisation traps: street types, repetition indices, accents and punctuation, title words."""

from __future__ import annotations

from tests.etl.geocode.conftest import Enedis, ban

EXACT = "ban_file:exact"


def test_street_type_abbreviation_matches_full_word_both_ways(geocode) -> None:  # type: ignore[no-untyped-def]
    result = geocode(
        [
            Enedis("3", "CRS", "JEAN JAURES"),
            Enedis("4", "AV", "DE LA GARE"),
            Enedis("5", "BOULEVARD", "CARNOT"),  # the BAN abbreviates here
            Enedis("6", "RPT", "DE L EUROPE"),
            Enedis("7", "CHE", "DES VIGNES"),
        ],
        [
            ban("06029_0001_00003", "3", "Cours Jean Jaurès"),
            ban("06029_0002_00004", "4", "Avenue de la Gare"),
            ban("06029_0003_00005", "5", "Bd Carnot"),
            ban("06029_0004_00006", "6", "Rond-Point de l'Europe"),
            ban("06029_0005_00007", "7", "Chemin des Vignes"),
        ],
    )
    assert result.outcome() == [
        ("06029_0001_00003", "matched", EXACT, 1.0, 1),
        ("06029_0002_00004", "matched", EXACT, 1.0, 1),
        ("06029_0003_00005", "matched", EXACT, 1.0, 1),
        ("06029_0004_00006", "matched", EXACT, 1.0, 1),
        ("06029_0005_00007", "matched", EXACT, 1.0, 1),
    ]


def test_bis_ter_and_letters_match_ban_rep(geocode) -> None:  # type: ignore[no-untyped-def]
    result = geocode(
        [
            Enedis("5", "RUE", "PASTEUR", indice="B"),
            Enedis("5", "RUE", "PASTEUR", indice="TER"),
            Enedis("5", "RUE", "PASTEUR"),
            Enedis("9", "RUE", "PASTEUR", indice="A"),
            # Trap: `B` where the BAN only has the letter b.
            Enedis("11", "RUE", "PASTEUR", indice="B"),
            # Trap: the index glued to the number.
            Enedis("13T", "RUE", "PASTEUR"),
        ],
        [
            ban("06029_0001_00005", "5", "Rue Pasteur"),
            ban("06029_0001_00005_bis", "5", "Rue Pasteur", rep="bis"),
            ban("06029_0001_00005_ter", "5", "Rue Pasteur", rep="ter"),
            ban("06029_0001_00009_a", "9", "Rue Pasteur", rep="a"),
            ban("06029_0001_00011_b", "11", "Rue Pasteur", rep="b"),
            ban("06029_0001_00013_ter", "13", "Rue Pasteur", rep="ter"),
        ],
    )
    assert [r[0] for r in result.outcome()] == [
        "06029_0001_00005_bis",
        "06029_0001_00005_ter",
        "06029_0001_00005",
        "06029_0001_00009_a",
        "06029_0001_00011_b",
        "06029_0001_00013_ter",
    ]
    assert result.report.matched == 6


def test_accents_apostrophes_and_hyphens_fold_to_plain_words(geocode) -> None:  # type: ignore[no-untyped-def]
    result = geocode(
        [
            Enedis("1", "RUE", "DE L'ÉGLISE"),
            Enedis("2", "RUE", "DE L EGLISE"),
            Enedis("3", "AVENUE", "NOTRE DAME DES PINS"),
            Enedis("4", "PLACE", "DES  OEILLETS"),
        ],
        [
            ban("06029_0001_00001", "1", "Rue de l'Église"),
            ban("06029_0001_00002", "2", "Rue de l’Eglise"),
            ban("06029_0002_00003", "3", "Avenue Notre-Dame des Pins"),
            ban("06029_0003_00004", "4", "Place des Œillets"),
        ],
    )
    assert result.outcome() == [
        ("06029_0001_00001", "matched", EXACT, 1.0, 1),
        ("06029_0001_00002", "matched", EXACT, 1.0, 1),
        ("06029_0002_00003", "matched", EXACT, 1.0, 1),
        ("06029_0003_00004", "matched", EXACT, 1.0, 1),
    ]


def test_title_words_and_numbers_are_expanded_inside_the_name(geocode) -> None:  # type: ignore[no-untyped-def]
    result = geocode(
        [
            Enedis("7", "BD", "ST GEORGES"),
            Enedis("8", "PL", "DU GAL LECLERC"),
            Enedis("9", "R", "DU DR ROUX"),
            Enedis("10", "AV", "DU MAL JUIN"),
            Enedis("52", "AVENUE", "DU 3 SEPTEMBRE"),
        ],
        [
            ban("06029_0001_00007", "7", "Boulevard Saint-Georges"),
            ban("06029_0002_00008", "8", "Place du Général Leclerc"),
            ban("06029_0003_00009", "9", "Rue du Docteur Roux"),
            ban("06029_0004_00010", "10", "Avenue du Maréchal Juin"),
            ban("06029_0005_00052", "52", "Avenue du Trois Septembre"),
        ],
    )
    assert [r[:3] for r in result.outcome()] == [
        ("06029_0001_00007", "matched", EXACT),
        ("06029_0002_00008", "matched", EXACT),
        ("06029_0003_00009", "matched", EXACT),
        ("06029_0004_00010", "matched", EXACT),
        ("06029_0005_00052", "matched", EXACT),
    ]
