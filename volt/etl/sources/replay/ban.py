"""BAN national files replay (adresse.data.gouv.fr): `adresses-<dép>.csv.gz` with validators.

Served with a content-hash ETag and a Last-Modified date; `If-None-Match` / `If-Modified-Since`
answer 304, HEAD gives the headers only (what a probe needs to skip an unchanged file).
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from volt.etl.sources.replay.messages import ReplayRequestError, Request, Response
from volt.etl.sources.replay.world import BanFile, World


def national_file(request: Request, world: World, departement: str) -> Response:
    file = world.ban_file(departement)
    if file is None:
        raise ReplayRequestError(404, {"error": f"adresses-{departement}.csv.gz not found"})
    headers = {"ETag": file.etag, "Last-Modified": file.last_modified_http}
    if not_modified(request, file):
        return Response(304, b"", "application/gzip", headers)
    return Response(200, file.gz_bytes, "application/gzip", headers)


def not_modified(request: Request, file: BanFile) -> bool:
    """RFC 9110: If-None-Match wins; If-Modified-Since is only read when it is absent."""
    if_none_match = request.header("If-None-Match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or file.etag in tags
    since = request.header("If-Modified-Since")
    if since is None:
        return False
    try:
        date = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as servers do
    return date >= file.last_modified.replace(microsecond=0)
