"""Methods and statuses: street without type, fuzzy, ambiguous, not found, communes déléguées."""

from __future__ import annotations

from tests.etl.geocode.conftest import Enedis, ban

NO_TYPE = "ban_file:street_no_type"
FUZZY = "ban_file:fuzzy"


def test_street_without_type_or_with_another_type(geocode) -> None:  # type: ignore[no-untyped-def]
    result = geocode(
        [
            Enedis("5", None, "PASTEUR"),  # Enedis left the type blank
            Enedis("6", "AVENUE", "PASTEUR"),  # the BAN says Rue
            Enedis("7", "LD", "LA GARDE"),  # the BAN names a lieu-dit without a type
        ],
        [
            ban("06029_0001_00005", "5", "Rue Pasteur"),
            ban("06029_0001_00006", "6", "Rue Pasteur"),
            ban("06029_b001_00007", "7", "La Garde"),
        ],
    )
    assert result.outcome() == [
        ("06029_0001_00005", "matched", NO_TYPE, 0.9, 1),
        ("06029_0001_00006", "matched", NO_TYPE, 0.9, 1),
        ("06029_b001_00007", "matched", NO_TYPE, 0.9, 1),
    ]


def test_exact_street_wins_over_the_same_name_under_another_type(geocode) -> None:  # type: ignore[no-untyped-def]
    result = geocode(
        [Enedis("5", "RUE", "PASTEUR")],
        [
            ban("06029_0001_00005", "5", "Avenue Pasteur"),
            ban("06029_0002_00005", "5", "Rue Pasteur"),
        ],
    )
    assert result.outcome() == [("06029_0002_00005", "matched", "ban_file:exact", 1.0, 1)]


def test_fuzzy_typo_dropped_particle_and_glued_words(geocode) -> None:  # type: ignore[no-untyped-def]
    result = geocode(
        [
            Enedis("12", "RUE", "GAMBTTA"),  # a letter lost
            Enedis("14", "RUE", "FONTAINE"),  # `DE LA` dropped
            Enedis("16", "AVENUE", "VICTORHUGO"),  # the space lost
        ],
        [
            ban("06029_0001_00012", "12", "Rue Gambetta"),
            ban("06029_0002_00014", "14", "Rue de la Fontaine"),
            ban("06029_0003_00016", "16", "Avenue Victor Hugo"),
        ],
    )
    # Score = 0.85 × Jaro-Winkler of the name cores (GAMBTTA/GAMBETTA 0.975).
    assert result.outcome() == [
        ("06029_0001_00012", "matched", FUZZY, 0.8287, 1),
        ("06029_0002_00014", "matched", FUZZY, 0.85, 1),
        ("06029_0003_00016", "matched", FUZZY, 0.85, 1),
    ]


def test_fuzzy_refuses_a_different_name_below_the_threshold(geocode) -> None:  # type: ignore[no-untyped-def]
    # JEANMONNET / JEANMOULIN: 0.88, another street, not a typo.
    result = geocode(
        [Enedis("3", "RUE", "JEAN MONNET")],
        [ban("06029_0001_00003", "3", "Rue Jean Moulin")],
    )
    assert result.outcome() == [(None, "not_found", None, None, 0)]


def test_fuzzy_without_margin_over_the_second_street_is_ambiguous(geocode) -> None:  # type: ignore[no-untyped-def]
    # PASTEURNOR is as close to PASTEURNORD as to PASTEURNORE: no margin, no choice.
    result = geocode(
        [Enedis("3", "RUE", "PASTEUR NOR")],
        [
            ban("06029_0001_00003", "3", "Rue Pasteur Nord"),
            ban("06029_0002_00003", "3", "Rue Pasteur Nore"),
        ],
    )
    assert result.outcome() == [(None, "ambiguous", FUZZY, None, 2)]


def test_fuzzy_tie_is_broken_by_the_street_type(geocode) -> None:  # type: ignore[no-untyped-def]
    result = geocode(
        [Enedis("3", "RUE", "GAMBTTA")],
        [
            ban("06029_0001_00003", "3", "Avenue Gambetta"),
            ban("06029_0002_00003", "3", "Rue Gambetta"),
        ],
    )
    assert result.outcome() == [("06029_0002_00003", "matched", FUZZY, 0.8287, 2)]


def test_two_ban_ids_for_the_same_key_is_ambiguous(geocode) -> None:  # type: ignore[no-untyped-def]
    result = geocode(
        [Enedis("8", "RUE", "DE LA PAIX")],
        [
            ban("06029_0001_00008", "8", "Rue de la Paix"),
            ban("06029_0009_00008", "8", "Rue de la Paix"),
        ],
    )
    assert result.outcome() == [(None, "ambiguous", "ban_file:exact", None, 2)]
    assert (result.report.matched, result.report.ambiguous) == (0, 1)


def test_not_found_keeps_the_row(geocode) -> None:  # type: ignore[no-untyped-def]
    result = geocode(
        [
            Enedis("99", "RUE", "PASTEUR"),  # no such number
            Enedis(None, "RUE", "PASTEUR"),  # no number at all
            Enedis("5", "RUE", "PASTEUR", code_commune="06030"),  # another commune
        ],
        [ban("06029_0001_00005", "5", "Rue Pasteur")],
    )
    assert result.outcome() == [(None, "not_found", None, None, 0)] * 3
    assert [r["numero_de_voie"] for r in result.rows] == ["99", None, "5"]
    assert result.report.not_found == 3


def test_commune_deleguee_matches_through_the_former_commune_code(geocode) -> None:  # type: ignore[no-untyped-def]
    # Chemillé-en-Anjou (49092) absorbed La Jumellière (49167); Enedis still publishes 49167.
    result = geocode(
        [
            Enedis("2", "RUE", "DU COMMERCE", code_commune="49167"),
            Enedis("4", "RUE", "DU COMMERCE", code_commune="49092"),
        ],
        [
            ban("49092_0100_00002", "2", "Rue du Commerce", ancienne="49167"),
            ban("49092_0200_00004", "4", "Rue du Commerce", ancienne="49092"),
        ],
    )
    assert [r[:2] for r in result.outcome()] == [
        ("49092_0100_00002", "matched"),
        ("49092_0200_00004", "matched"),
    ]


def test_own_commune_wins_over_a_former_commune_code(geocode) -> None:  # type: ignore[no-untyped-def]
    result = geocode(
        [Enedis("2", "RUE", "DU COMMERCE", code_commune="49167")],
        [
            ban("49092_0100_00002", "2", "Rue du Commerce", ancienne="49167"),
            ban("49167_0300_00002", "2", "Rue du Commerce"),
        ],
    )
    assert result.outcome()[0][:2] == ("49167_0300_00002", "matched")
