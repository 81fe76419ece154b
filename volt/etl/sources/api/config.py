"""Where the live sources are and how politely to ask them: registry defaults, setting overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from volt.config import Settings
from volt.errors import ConfigError
from volt.etl.sources.api.http import HostPolicy, HttpClient, host_key
from volt.etl.sources.registry import source_spec

EnedisApi = Literal["data-fair", "explore"]
# Hosts nobody declared a quota for (a redirect target, say) still get a polite default.
DEFAULT_REQUESTS, DEFAULT_SECONDS = 10, 1.0


@dataclass(frozen=True)
class ApiConfig:
    enedis_api: EnedisApi
    enedis_root: str
    ademe_root: str
    ademe_legacy: bool
    ban_files_root: str
    ban_geocoder_root: str
    ban_geocoder_fallback_root: str | None
    ademe_api_key: str | None = None
    geocoder_min_score: float = 0.8
    geocoder_min_margin: float = 0.05
    policies: dict[str, HostPolicy] = field(default_factory=dict)
    default_policy: HostPolicy = field(
        default_factory=lambda: HostPolicy(DEFAULT_REQUESTS, DEFAULT_SECONDS)
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiConfig:
        enedis, dpe, ban = source_spec("enedis"), source_spec("dpe"), source_spec("ban")
        api: EnedisApi = settings.enedis_api or enedis.settings["api"]
        enedis_root = (
            settings.enedis_api_url
            or enedis.settings["data_fair_root" if api == "data-fair" else "explore_root"]
        )
        fallback = settings.ban_fallback_api_url
        if fallback is None:
            fallback = ban.settings["geocoder_fallback_root"]
        roots = {
            "enedis": _root(enedis_root, "VOLT_ENEDIS_API_URL"),
            "dpe": _root(
                settings.ademe_api_url or dpe.settings["data_fair_root"], "VOLT_ADEME_API_URL"
            ),
            "ban_files": _root(
                settings.ban_files_url or ban.settings["files_root"], "VOLT_BAN_FILES_URL"
            ),
            "ban": _root(settings.ban_api_url or ban.settings["geocoder_root"], "VOLT_BAN_API_URL"),
        }
        if fallback:
            roots["ban_fallback"] = _root(fallback, "VOLT_BAN_FALLBACK_API_URL")
        quotas = {
            "enedis": enedis.settings,
            "dpe": dpe.settings,
            "ban_files": ban.settings,
            "ban": ban.settings,
            "ban_fallback": ban.settings,
        }
        policies: dict[str, HostPolicy] = {}
        for name, root in roots.items():
            spec = quotas[name]
            policy = HostPolicy(
                requests=int(spec["rate_requests"]),
                per_seconds=float(spec["rate_seconds"]),
                concurrency=settings.http_concurrency,
                timeout_s=settings.http_timeout_seconds,
                retries=settings.http_retries,
                backoff_max_s=settings.http_backoff_max_seconds,
            )
            key = host_key(root)
            known = policies.get(key)
            # Two sources on one host (a mirror, the replay server) share its strictest quota.
            if (
                known is None
                or policy.requests / policy.per_seconds < known.requests / known.per_seconds
            ):
                policies[key] = policy
        api_key = settings.ademe_api_key
        return cls(
            enedis_api=api,
            enedis_root=roots["enedis"],
            ademe_root=roots["dpe"],
            ademe_legacy=settings.ademe_dataset == "legacy",
            ban_files_root=roots["ban_files"],
            ban_geocoder_root=roots["ban"],
            ban_geocoder_fallback_root=roots.get("ban_fallback"),
            ademe_api_key=api_key.get_secret_value() if api_key else None,
            geocoder_min_score=settings.geocoder_min_score,
            geocoder_min_margin=settings.geocoder_min_margin,
            policies=policies,
            default_policy=HostPolicy(
                DEFAULT_REQUESTS,
                DEFAULT_SECONDS,
                concurrency=settings.http_concurrency,
                timeout_s=settings.http_timeout_seconds,
                retries=settings.http_retries,
                backoff_max_s=settings.http_backoff_max_seconds,
            ),
        )

    def client(self) -> HttpClient:
        return HttpClient(self.policies, default=self.default_policy)


def _root(url: str, setting: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            f"{setting}={url!r} is not an http(s) URL.",
            hint="Give the root URL of the API, e.g. http://127.0.0.1:8765 for a replay server.",
        )
    return url.rstrip("/")
