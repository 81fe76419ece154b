"""French administrative codes as text: départements (01…95, 2A, 2B, 97x), BAN address keys.

Codes are never numbers: `06` and `2A` must survive every step. The ETL types codes in SQL
(volt/etl/transforms/sql/macros.sql); this module serves the Python side (CLI options, file names).
"""

from __future__ import annotations

import re

_DEPARTEMENT = re.compile(r"^(0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|97[1-8])$")


def normalise_departement(raw: str | None) -> str | None:
    """`6` → `06`, `2a` → `2A`, `974` → `974`; None when it is no French département."""
    if raw is None:
        return None
    value = raw.strip().upper()
    if value.isdigit() and len(value) == 1:
        value = value.zfill(2)
    return value if _DEPARTEMENT.match(value) else None


def departement_of(insee: str) -> str:
    """Département of a valid INSEE commune code: 3 characters overseas (97x), else 2."""
    return insee[:3] if insee.startswith("97") else insee[:2]


# A BAN address key: `{code_insee}_{code_voie}_{numero}[_{suffixe}]`; the voie is a FANTOIR code
# (4 characters) or a BAN-made one (6), the number 5 digits. Trap: suffixes may hold digits and
# spaces (`6a`, `villa 13`), and a street-level key (`06029_1960`) names no house.
_BAN_HOUSENUMBER_ID = re.compile(
    r"^(\d{5}|2[ABab]\d{3})_[0-9A-Za-z]{4,6}_\d{5}(_[0-9A-Za-z][0-9A-Za-z ]*)?$"
)


def normalise_ban_housenumber_id(raw: str | None) -> str | None:
    """The trimmed key when it names a house number (`06029_1900_00013`), else None.

    Keys are kept as written: the DPE's `identifiant_ban` and the BAN file compare them so.
    """
    if raw is None:
        return None
    value = raw.strip()
    return value if _BAN_HOUSENUMBER_ID.match(value) else None
