"""A small deterministic address matcher over the world's BAN rows: the replayed geocoder's brain.

Not addok: enough that an Enedis address (`13 RUE LACOUR`, `1 RTE D ESPAGNE`) finds its BAN address
with a high score, the same street without the number gives a `street` answer, and near-miss streets
give a runner-up score for the margin check.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

# Trap: Enedis abbreviates street types and titles (`RTE`, `BD`, `ST`); BAN writes them in full.
ABBREVIATIONS = {
    "AV": "AVENUE", "AVE": "AVENUE", "BD": "BOULEVARD", "BLD": "BOULEVARD", "CRS": "COURS",
    "CHE": "CHEMIN", "CHEM": "CHEMIN", "CH": "CHEMIN", "IMP": "IMPASSE", "PL": "PLACE",
    "ALL": "ALLEE", "RTE": "ROUTE", "SQ": "SQUARE", "PAS": "PASSAGE", "MTE": "MONTEE",
    "TRA": "TRAVERSE", "TRAV": "TRAVERSE", "RES": "RESIDENCE", "ESP": "ESPLANADE",
    "PROM": "PROMENADE", "RPT": "ROND POINT", "FG": "FAUBOURG", "QU": "QUAI", "ST": "SAINT",
    "STE": "SAINTE", "GAL": "GENERAL", "MAL": "MARECHAL", "DR": "DOCTEUR", "PDT": "PRESIDENT",
}  # fmt: skip
LIGATURES = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae"})
STOPWORDS = frozenset({"DE", "DU", "DES", "LA", "LE", "LES", "L", "D", "AU", "AUX", "ET"})
STREET_TYPES = frozenset({
    "RUE", "AVENUE", "BOULEVARD", "COURS", "CHEMIN", "IMPASSE", "PLACE", "ALLEE", "ROUTE", "QUAI",
    "SQUARE", "PASSAGE", "MONTEE", "TRAVERSE", "RESIDENCE", "ESPLANADE", "PROMENADE", "ROND",
    "POINT", "FAUBOURG", "LIEU", "DIT",
})  # fmt: skip
REPETITIONS = {
    "B": "bis",
    "BIS": "bis",
    "T": "ter",
    "TER": "ter",
    "Q": "quater",
    "QUATER": "quater",
}
TYPO_MIN_RATIO = 0.8  # one or two letters off in a long word (TANNEURS / ANNEURS: 0.93)
GLUED_MIN_RATIO = 0.9  # letters nearly identical once spaces are ignored
MIN_SIMILARITY = 0.5  # below this a street is not a candidate at all (→ not-found)
# Scores: an exact number on an exact street scores 0.95; the street alone at most 0.75, so a
# street-level answer never passes a 0.8 threshold. Both scale with the street-name similarity.
HOUSENUMBER_BASE, HOUSENUMBER_SPAN = 0.5, 0.45
STREET_BASE, STREET_SPAN = 0.3, 0.45
_NUMBER = re.compile(r"^(\d+)([A-Z]*)$")


def normalise(text: str) -> list[str]:
    """Upper case, no accents, punctuation as spaces, abbreviations expanded, stopwords dropped."""
    # Trap: Œ/Æ have no NFKD decomposition (`Rue des Œillets` would lose its first letter).
    text = text.translate(LIGATURES)
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").upper()
    words = re.sub(r"[^A-Z0-9]+", " ", plain).split()
    out: list[str] = []
    for word in words:
        out.extend(ABBREVIATIONS.get(word, word).split())
    return [w for w in out if w not in STOPWORDS]


def similarity(street: list[str], query: list[str]) -> float:
    """1.0 for the same words. A Dice coefficient where a misspelt word counts for its likeness
    (`CERISERS` ≈ `CERISIERS`), or the likeness of the letters alone when words are glued
    (`GEORGESAND` = `GEORGE SAND`), whichever is higher."""
    if not street or not query:
        return 0.0
    matched = sum(max(_word_likeness(s, q) for q in query) for s in street)
    dice = 2 * matched / (len(street) + len(query))
    letters = SequenceMatcher(None, "".join(street), "".join(query)).ratio()
    return max(dice, letters if letters >= GLUED_MIN_RATIO else 0.0)


def _word_likeness(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if a.isdigit() or b.isdigit():
        return 0.0
    ratio = SequenceMatcher(None, a, b).ratio()
    return ratio if ratio >= TYPO_MIN_RATIO else 0.0


@dataclass
class Street:
    citycode: str
    postcode: str
    city: str
    name: str  # as BAN writes it ("Route d'Espagne")
    street_id: str  # {code_insee}_{code_voie}
    tokens: list[str]
    numbers: dict[str, dict[str, str]] = field(default_factory=dict)  # "13bis" → BAN row

    @property
    def centre(self) -> tuple[float, float]:
        rows = list(self.numbers.values())
        lat = sum(float(r["lat"] or 0) for r in rows) / max(len(rows), 1)
        lon = sum(float(r["lon"] or 0) for r in rows) / max(len(rows), 1)
        return round(lat, 6), round(lon, 6)


@dataclass(frozen=True)
class Candidate:
    score: float
    type: str  # "housenumber" | "street"
    street: Street
    row: dict[str, str] | None  # the BAN row of a housenumber answer


class Index:
    """BAN streets by commune, and a word → streets index so a query scores likely streets only."""

    def __init__(self, ban_csvs: list[bytes]) -> None:
        self.streets: dict[tuple[str, str], Street] = {}
        self.by_token: dict[str, list[Street]] = defaultdict(list)
        self.by_city: dict[str, list[Street]] = defaultdict(list)
        self.city_tokens: dict[str, set[str]] = defaultdict(set)
        for data in ban_csvs:
            text = io.StringIO(data.decode("utf-8-sig"))
            for row in csv.DictReader(text, delimiter=";"):
                self._add(row)
        for street in self.streets.values():
            for token in set(street.tokens):
                self.by_token[token].append(street)

    def _add(self, row: dict[str, str]) -> None:
        citycode = row.get("code_insee") or ""
        key = (citycode, row.get("nom_voie") or "")
        street = self.streets.get(key)
        if street is None:
            street_id = row.get("id_fantoir") or "_".join((row.get("id") or "").split("_")[:2])
            street = Street(
                citycode, row.get("code_postal") or "", row.get("nom_commune") or "", key[1],
                street_id, normalise(key[1]),
            )  # fmt: skip
            self.streets[key] = street
            self.by_city[citycode].append(street)
            self.city_tokens[citycode].update(normalise(street.city))
        street.numbers.setdefault(number_key(row.get("numero") or "", row.get("rep") or ""), row)

    def search(self, query: str, citycode: str | None, postcode: str | None) -> list[Candidate]:
        """Candidates by decreasing score (ties: BAN order), one per street."""
        number, words = split_number(normalise(query))
        significant = [w for w in words if w not in STREET_TYPES and not w.isdigit()] or words
        likely = {id(s): s for w in significant for s in self.by_token.get(w, ())}
        found = self._score_all(likely.values(), number, words, citycode, postcode)
        if not found:
            # Misspelt or glued words share no exact word with the street: score every street.
            pool = self.by_city.get(citycode, []) if citycode else self.streets.values()
            found = self._score_all(pool, number, words, citycode, postcode)
        return sorted(found, key=lambda c: -c.score)

    def _score_all(
        self,
        streets: Iterable[Street],
        number: str | None,
        words: list[str],
        citycode: str | None,
        postcode: str | None,
    ) -> list[Candidate]:
        found: list[Candidate] = []
        for street in streets:
            if (citycode and street.citycode != citycode) or (
                postcode and street.postcode != postcode
            ):
                continue
            candidate = self._score(street, number, words)
            if candidate is not None:
                found.append(candidate)
        return found

    def _score(self, street: Street, number: str | None, words: list[str]) -> Candidate | None:
        # The commune's name and postcodes in the query are not part of the street name.
        noise = self.city_tokens[street.citycode] - set(street.tokens)
        query = [w for w in words if w not in noise and not (w.isdigit() and len(w) == 5)]
        sim = similarity(street.tokens, query)
        named = [w for w in street.tokens if w not in STREET_TYPES]
        query_named = [w for w in query if w not in STREET_TYPES]
        # A shared street-type word alone (`RUE`) is no match: the name must look alike too.
        if sim < MIN_SIMILARITY or (named and similarity(named, query_named) == 0):
            return None
        row = street.numbers.get(number) if number else None
        if row is not None:
            return Candidate(
                round(HOUSENUMBER_BASE + HOUSENUMBER_SPAN * sim, 6), "housenumber", street, row
            )
        return Candidate(round(STREET_BASE + STREET_SPAN * sim, 6), "street", street, None)


def split_number(words: list[str]) -> tuple[str | None, list[str]]:
    """`13 BIS RUE X` or `13B RUE X` → ("13bis", [RUE, X]); no leading number → (None, words)."""
    if not words:
        return None, words
    match = _NUMBER.match(words[0])
    if match is None:
        return None, words
    digits, rep = match.groups()
    rest = words[1:]
    if not rep and rest and rest[0] in REPETITIONS:
        rep, rest = rest[0], rest[1:]
    return number_key(digits, rep), rest


def number_key(numero: str, rep: str) -> str:
    """`13` + `B`/`bis` → `13bis` on both sides (BAN writes `bis`, Enedis `B` or `BIS`)."""
    digits = str(int(numero)) if numero.isdigit() else numero
    return digits + REPETITIONS.get(rep.upper(), rep.lower())
