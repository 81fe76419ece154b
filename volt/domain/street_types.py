"""French address vocabulary: street-type abbreviations (AFNOR / FANTOIR), title words, indices.

Pure data and lookups, no I/O. The geocoder loads these tables into DuckDB so that Enedis and
BAN addresses are normalised by the same rules; an abbreviation and its full word compare equal.
"""

from __future__ import annotations

# (abbreviation, full word) of street types, after accents and punctuation are folded (upper case,
# hyphens as spaces). From the AFNOR NF Z 10-011 / FANTOIR list; several abbreviations may name the
# same type (`CHE`, `CHEM`). A full word also stands for itself.
STREET_TYPES: tuple[tuple[str, str], ...] = (
    ("ALL", "ALLEE"),
    ("AV", "AVENUE"),
    ("AVE", "AVENUE"),
    ("BD", "BOULEVARD"),
    ("BLD", "BOULEVARD"),
    ("BOUL", "BOULEVARD"),
    ("CAR", "CARREFOUR"),
    ("CHE", "CHEMIN"),
    ("CHEM", "CHEMIN"),
    ("CHS", "CHAUSSEE"),
    ("CITE", "CITE"),
    ("CLOS", "CLOS"),
    ("COR", "CORNICHE"),
    ("CR", "CHEMIN RURAL"),
    ("CRS", "COURS"),
    ("CTRE", "CENTRE"),
    ("CV", "CHEMIN VICINAL"),
    ("DOM", "DOMAINE"),
    ("DSC", "DESCENTE"),
    ("ESP", "ESPLANADE"),
    ("FG", "FAUBOURG"),
    ("GR", "GRANDE RUE"),
    ("HAM", "HAMEAU"),
    ("HLE", "HALLE"),
    ("IMP", "IMPASSE"),
    ("LD", "LIEU DIT"),
    ("LOT", "LOTISSEMENT"),
    ("MAR", "MARCHE"),
    ("MTE", "MONTEE"),
    ("PARC", "PARC"),
    ("PAS", "PASSAGE"),
    ("PASS", "PASSAGE"),
    ("PL", "PLACE"),
    ("PLN", "PLAINE"),
    ("PLT", "PLATEAU"),
    ("PORT", "PORT"),
    ("PRO", "PROMENADE"),
    ("PROM", "PROMENADE"),
    ("PRV", "PARVIS"),
    ("PTE", "PORTE"),
    ("QU", "QUAI"),
    ("QUAI", "QUAI"),
    ("QUA", "QUARTIER"),
    ("R", "RUE"),
    ("RES", "RESIDENCE"),
    ("RLE", "RUELLE"),
    ("ROC", "ROCADE"),
    ("RPT", "ROND POINT"),
    ("RTE", "ROUTE"),
    ("SEN", "SENTIER"),
    ("SQ", "SQUARE"),
    ("TPL", "TERRE PLEIN"),
    ("TRA", "TRAVERSE"),
    ("VLA", "VILLA"),
    ("VLGE", "VILLAGE"),
    ("VOIE", "VOIE"),
    ("ZA", "ZONE ARTISANALE"),
    ("ZAC", "ZONE D AMENAGEMENT CONCERTE"),
    ("ZI", "ZONE INDUSTRIELLE"),
)

# Abbreviated whole words inside a street name (titles, saints, numbers written out). Both sides get
# the same expansion, so expanding a word that was not an abbreviation (`COL`) never breaks a match.
STREET_WORDS: tuple[tuple[str, str], ...] = (
    ("ST", "SAINT"),
    ("STE", "SAINTE"),
    ("STS", "SAINTS"),
    ("GAL", "GENERAL"),
    ("GEN", "GENERAL"),
    ("GRL", "GENERAL"),
    ("DR", "DOCTEUR"),
    ("DOC", "DOCTEUR"),
    ("MAL", "MARECHAL"),
    ("MCH", "MARECHAL"),
    ("PRES", "PRESIDENT"),
    ("PDT", "PRESIDENT"),
    ("CDT", "COMMANDANT"),
    ("CNE", "CAPITAINE"),
    ("CPT", "CAPITAINE"),
    ("COL", "COLONEL"),
    ("LT", "LIEUTENANT"),
    ("LTN", "LIEUTENANT"),
    ("ADJ", "ADJUDANT"),
    ("SGT", "SERGENT"),
    ("MED", "MEDECIN"),
    ("PROF", "PROFESSEUR"),
    ("MGR", "MONSEIGNEUR"),
    ("ABBE", "ABBE"),
    ("ND", "NOTRE DAME"),
    ("GD", "GRAND"),
    ("GDE", "GRANDE"),
    ("VX", "VIEUX"),
    ("FG", "FAUBOURG"),
    # Trap: dates written in words on one side (`DU TROIS SEPTEMBRE`) and in digits on the other.
    ("UN", "1"),
    ("DEUX", "2"),
    ("TROIS", "3"),
    ("QUATRE", "4"),
    ("CINQ", "5"),
    ("SIX", "6"),
    ("SEPT", "7"),
    ("HUIT", "8"),
    ("NEUF", "9"),
    ("DIX", "10"),
    ("ONZE", "11"),
    ("DOUZE", "12"),
    ("TREIZE", "13"),
    ("QUATORZE", "14"),
    ("QUINZE", "15"),
    ("SEIZE", "16"),
    ("VINGT", "20"),
    ("TRENTE", "30"),
    ("PREMIER", "1"),
    ("1ER", "1"),
)

# Words that carry no identity in a street name; dropped only by the fuzzy comparison, where a
# missing `DE LA` must not cost similarity.
PARTICLES: tuple[str, ...] = ("D", "DE", "DU", "DES", "L", "LA", "LE", "LES", "AU", "AUX")

# Enedis `indice_de_repetition` (upper case) → BAN `rep` (lower case), in order of preference.
# Trap: `B` is short for `bis` but can also be the letter b (likewise `T`, `Q`).
REPETITION_INDICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("B", ("bis", "b")),
    ("BIS", ("bis",)),
    ("T", ("ter", "t")),
    ("TER", ("ter",)),
    ("Q", ("quater", "q")),
    ("QUA", ("quater",)),
    ("QUATER", ("quater",)),
    ("C", ("c", "quinquies")),
    ("QUINQUIES", ("quinquies",)),
)


def street_type_words() -> dict[str, str]:
    """Every spelling of a street type (abbreviation or full word) → its full word."""
    words = {full: full for _, full in STREET_TYPES}
    words.update(dict(STREET_TYPES))
    return words


def repetition_alternatives() -> list[tuple[str, str, int]]:
    """(Enedis indice, BAN rep, preference rank 0 = best) for the indices that need mapping."""
    return [
        (indice, rep, rank) for indice, reps in REPETITION_INDICES for rank, rep in enumerate(reps)
    ]
