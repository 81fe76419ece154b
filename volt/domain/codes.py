"""French administrative codes as text: INSEE commune, département, IRIS, BAN interoperability key.

Codes are never numbers: `06029` and `2A004` must survive every step. These helpers repair the
damage spreadsheets and exporters do (lost leading zeros) and derive one code from another.
"""

from __future__ import annotations

import re

# Paris, Lyon and Marseille: Enedis publishes the whole-city code, the BAN and the DPE the
# arrondissement codes (751xx, 6938x, 132xx).
PLM_CITY_CODES = {"75056": "75", "69123": "69", "13055": "13"}
PLM_ARRONDISSEMENT = re.compile(r"^(751(0[1-9]|1[0-9]|20)|6938[1-9]|132(0[1-9]|1[0-6]))$")

_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_DEPARTEMENT = re.compile(r"^(0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-8])$")


def normalise_insee(raw: str | None) -> str | None:
    """A 5-character INSEE commune code, or None if the value cannot be one.

    Trap: exporters write codes as numbers (`6029` for `06029`); Corsica keeps `2A`/`2B`.
    """
    if raw is None:
        return None
    value = raw.strip().upper()
    if value.endswith(".0"):  # a code that went through a float column
        value = value[:-2]
    if value.isdigit() and 4 <= len(value) < 5:
        value = value.zfill(5)
    return value if _INSEE.match(value) else None


def departement_of(insee: str) -> str:
    """Département of a valid INSEE code: 2 chars, 3 for overseas (97x)."""
    return insee[:3] if insee.startswith("97") else insee[:2]


def is_departement(code: str) -> bool:
    return bool(_DEPARTEMENT.match(code))


def normalise_departement(raw: str | None) -> str | None:
    """`6` → `06`, `2a` → `2A`; None when it is no French département."""
    if raw is None:
        return None
    value = raw.strip().upper()
    if value.isdigit() and len(value) == 1:
        value = value.zfill(2)
    return value if _DEPARTEMENT.match(value) else None


def insee_of_ban_id(ban_id: str) -> str | None:
    """The commune part of a BAN interoperability key `{insee}_{voie}_{numero}[_{rep}]`."""
    head = ban_id.split("_", 1)[0]
    return normalise_insee(head) if len(head) == 5 else None
