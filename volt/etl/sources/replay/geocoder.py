"""BAN geocoder replay (data.geopf.fr/geocodage, api-adresse.data.gouv.fr): /search, /search/csv.

Recorded real answers (world `geocoder/*.csv`) are replayed first for their (query, citycode);
other queries go to the matcher over the world's BAN rows.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import weakref
from collections import defaultdict
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from volt.etl.sources.replay.matcher import Candidate, Index, normalise
from volt.etl.sources.replay.messages import (
    ReplayRequestError,
    Request,
    Response,
    int_arg,
    json_response,
)
from volt.etl.sources.replay.world import World

RESULT_COLUMNS = (
    "latitude", "longitude", "result_label", "result_score", "result_score_next", "result_type",
    "result_id", "result_housenumber", "result_name", "result_street", "result_postcode",
    "result_city", "result_context", "result_citycode", "result_oldcitycode", "result_oldcity",
    "result_district", "result_status",
)  # fmt: skip
# Input columns of a recording that hold the commune filter (else its result_citycode is used).
CITYCODE_COLUMNS = ("citycode", "code_commune", "code_insee", "code_insee_commune")
ARRONDISSEMENT = re.compile(r"(Paris|Lyon|Marseille) \d+(?:er|e) Arrondissement")
SEARCH_DEFAULT_LIMIT = 5  # addok's default
Result = dict[str, str]

_cache: weakref.WeakKeyDictionary[World, tuple[int, Index, Recordings]] = (
    weakref.WeakKeyDictionary()
)
_cache_lock = threading.Lock()


class Recordings:
    """Recorded /search/csv answers by (normalised query, citycode); citycode None = any commune."""

    def __init__(self, rows: tuple[dict[str, Any], ...]) -> None:
        self.answers: dict[tuple[str, str | None], Result] = {}
        for row in rows:
            inputs = _input_columns(row)
            code_col = next((c for c in CITYCODE_COLUMNS if c in inputs), None)
            code = str(row[code_col] if code_col else row.get("result_citycode") or "")
            texts = [str(row[c]) for c in inputs if c != code_col and row[c]]
            result = {c: str(row.get(c) or "") for c in RESULT_COLUMNS}
            result["result_status"] = str(row.get("result_status") or "ok")
            for query in (*texts[:1], " ".join(texts)):
                key = " ".join(normalise(query))
                self.answers.setdefault((key, code), result)
                self.answers.setdefault((key, None), result)

    def find(self, query: str, citycode: str | None) -> Result | None:
        return self.answers.get((" ".join(normalise(query)), citycode or None))


def _input_columns(row: dict[str, Any]) -> list[str]:
    names = list(row)
    end = names.index("latitude") if "latitude" in names else len(names)
    return [n for n in names[:end] if not n.startswith("result_")]


def geocoder_for(world: World) -> tuple[Index, Recordings]:
    """The world's matcher index and recordings, built on first use and after BAN updates."""
    with _cache_lock:
        hit = _cache.get(world)
        if hit is None or hit[0] != world.ban_version:
            index = Index([f.csv_bytes for f in world.ban_files()])
            hit = (world.ban_version, index, Recordings(world.geocoder_recordings))
            _cache[world] = hit
        return hit[1], hit[2]


def geocode(world: World, query: str, citycode: str | None, postcode: str | None) -> Result:
    """One /search/csv answer row (result columns only)."""
    if not query.strip():
        return _empty("skipped")
    index, recordings = geocoder_for(world)
    recorded = recordings.find(query, citycode)
    if recorded is not None:
        return dict(recorded)
    found = index.search(query, citycode, postcode)
    if not found:
        return _empty("not-found")
    result = candidate_result(found[0])
    result["result_score_next"] = str(found[1].score) if len(found) > 1 else ""
    return result


def _empty(status: str) -> Result:
    result = dict.fromkeys(RESULT_COLUMNS, "")
    result["result_status"] = status
    return result


def candidate_result(c: Candidate) -> Result:
    props = properties(c)
    lat, lon = (c.row["lat"], c.row["lon"]) if c.row else map(str, c.street.centre)
    result = {f"result_{k}": str(props.get(k) or "") for k in (
        "label", "score", "type", "id", "housenumber", "name", "street", "postcode", "city",
        "context", "citycode", "oldcitycode", "oldcity", "district",
    )}  # fmt: skip
    result.update({"latitude": lat, "longitude": lon, "result_status": "ok"})
    result["result_score_next"] = ""
    return {k: result.get(k, "") for k in RESULT_COLUMNS}


def properties(c: Candidate) -> dict[str, Any]:
    """GeoJSON feature properties of a candidate, named as addok names them."""
    street, row = c.street, c.row
    number = (row["numero"] + (row.get("rep") or "")) if row else None
    name = f"{number} {street.name}" if number else street.name
    postcode = (row.get("code_postal") if row else None) or street.postcode
    dep = street.citycode[:3] if street.citycode.startswith("97") else street.citycode[:2]
    x, y = (float(row["x"] or 0), float(row["y"] or 0)) if row else (None, None)
    # Paris/Lyon/Marseille: addok's city is the whole city, the arrondissement is the district.
    plm = ARRONDISSEMENT.fullmatch(street.city)
    city, district = (plm[1], street.city) if plm else (street.city, None)
    return {
        "label": f"{name} {postcode} {city}",
        "score": c.score,
        "housenumber": number,
        "id": row["id"] if row else street.street_id,
        "type": c.type,
        "name": name,
        "postcode": postcode,
        "citycode": street.citycode,
        "x": x,
        "y": y,
        "city": city,
        "district": district,
        "context": dep,  # addok adds the département and région names; the code is enough here
        "importance": 0.5,
        "street": street.name,
        "oldcitycode": (row.get("code_insee_ancienne_commune") if row else None) or None,
        "oldcity": (row.get("nom_ancienne_commune") if row else None) or None,
    }


def search(request: Request, world: World) -> Response:
    query = (request.arg("q") or "").strip()
    if not 3 <= len(query) <= 200:
        raise ReplayRequestError(400, {
            "code": 400, "message": "Failed parsing query",
            "detail": [
                "q: must contain between 3 and 200 chars and start with a number or a letter"
            ],
        })  # fmt: skip
    limit = int_arg(request, "limit", SEARCH_DEFAULT_LIMIT)
    citycode, postcode, kind = request.arg("citycode"), request.arg("postcode"), request.arg("type")
    index, recordings = geocoder_for(world)
    recorded = recordings.find(query, citycode)
    if recorded is not None:
        features = [_recorded_feature(recorded)]
    else:
        found = [c for c in index.search(query, citycode, postcode) if kind in (None, c.type)]
        features = [_feature(properties(c), c) for c in found[:limit]]
    return json_response({
        "type": "FeatureCollection", "version": "draft", "features": features,
        "attribution": "BAN", "licence": "ETALAB-2.0", "query": query, "limit": limit,
    })  # fmt: skip


def _feature(props: dict[str, Any], c: Candidate) -> dict[str, Any]:
    lat, lon = (float(c.row["lat"]), float(c.row["lon"])) if c.row else c.street.centre
    clean = {k: v for k, v in props.items() if v is not None}
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": clean,
    }


def _recorded_feature(r: Result) -> dict[str, Any]:
    props: dict[str, Any] = {
        k.removeprefix("result_"): v for k, v in r.items() if k.startswith("result_") and v
    }
    props["score"] = float(props.get("score", 0))
    props.pop("status", None)
    point = [float(r["longitude"]), float(r["latitude"])]
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": point},
        "properties": props,
    }


def search_csv(request: Request, world: World) -> Response:
    """addok's batch endpoint: the uploaded CSV's columns followed by the result columns."""
    form = parse_multipart(request)
    if "data" not in form:
        raise ReplayRequestError(
            400, {"code": 400, "message": "A file is required in the `data` field."}
        )
    text = form["data"][-1].decode("utf-8-sig")
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t|", key=first_line.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = rows[0] if rows else []
    columns = [c.decode() for c in form.get("columns", [])] or header
    citycode_col = form["citycode"][-1].decode() if "citycode" in form else None
    postcode_col = form["postcode"][-1].decode() if "postcode" in form else None
    for name in (*columns, citycode_col, postcode_col):
        if name is not None and name not in header:
            raise ReplayRequestError(400, {"code": 400, "message": f"Cannot find column {name!r}"})
    wanted = [c.decode() for c in form.get("result_columns", [])] or list(RESULT_COLUMNS)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow([*header, *wanted])
    for values in rows[1:]:
        record = dict(zip(header, values, strict=False))
        query = " ".join(record.get(c, "").strip() for c in columns if record.get(c, "").strip())
        citycode = record.get(citycode_col, "") if citycode_col else None
        postcode = record.get(postcode_col, "") if postcode_col else None
        result = geocode(world, query, citycode or None, postcode or None)
        writer.writerow([*values, *(result.get(c, "") for c in wanted)])
    headers = {"Content-Disposition": 'attachment; filename="geocoded.csv"'}
    return Response(200, out.getvalue().encode("utf-8"), "text/csv; charset=utf-8", headers)


def parse_multipart(request: Request) -> dict[str, list[bytes]]:
    """Form fields and files of a multipart/form-data body, by field name, in order."""
    content_type = request.header("Content-Type") or ""
    if not content_type.startswith("multipart/form-data"):
        raise ReplayRequestError(400, {"code": 400, "message": "Expected multipart/form-data."})
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    fields: dict[str, list[bytes]] = defaultdict(list)
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name].append(payload)
    return dict(fields)
