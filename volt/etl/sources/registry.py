"""Typed access to registry.toml: URLs, dataset ids and the header variants of each source."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

SourceName = Literal["enedis", "dpe", "ban"]
SOURCES: tuple[SourceName, ...] = ("enedis", "dpe", "ban")

ColumnType = Literal[
    "text",
    "int",
    "float",
    "year",
    "date",
    "label",
    "ban_id",
    "code_insee",
    "code_insee_ban",
    "code_iris",
    "code_postal",
    "code_departement",
    "code_region",
    "code_epci",
]


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: ColumnType
    required: bool
    aliases: tuple[str, ...]

    @property
    def first_alias(self) -> str:
        """The portal's CSV label (Enedis) or the legacy key (DPE); the name itself if none."""
        return self.aliases[0] if self.aliases else self.name


@dataclass(frozen=True)
class SourceSpec:
    name: SourceName
    title: str
    columns: dict[str, ColumnSpec]
    input_globs: tuple[str, ...]
    required_any: dict[str, tuple[str, ...]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns.values() if c.required]


@dataclass(frozen=True)
class HeaderMatch:
    """How one file's header maps onto a source's canonical columns."""

    mapping: dict[str, str]  # canonical name -> header as written in the file
    extra: tuple[str, ...]  # header names volt does not use (ignored, reported)
    missing_required: tuple[str, ...]  # canonical names absent from the file


def normalise_header(name: str) -> str:
    # Trap: the portal's CSV export starts with a UTF-8 BOM glued to the first header.
    return name.replace("\ufeff", "").strip().casefold()


@cache
def load_registry() -> dict[SourceName, SourceSpec]:
    text = resources.files("volt.etl.sources").joinpath("registry.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    specs: dict[SourceName, SourceSpec] = {}
    for name in SOURCES:
        section = raw[name]
        columns = {
            col: ColumnSpec(
                name=col,
                type=spec["type"],
                required=bool(spec.get("required", False)),
                aliases=tuple(spec.get("aliases", ())),
            )
            for col, spec in section.pop("columns").items()
        }
        globs = section.pop("input_glob")
        required_any = {k: tuple(v) for k, v in section.pop("required_any", {}).items()}
        title = section.pop("title")
        specs[name] = SourceSpec(
            name=name,
            title=title,
            columns=columns,
            input_globs=tuple([globs] if isinstance(globs, str) else globs),
            required_any=required_any,
            settings=section,
        )
    return specs


def source_spec(name: SourceName) -> SourceSpec:
    return load_registry()[name]


def match_header(spec: SourceSpec, header: list[str]) -> HeaderMatch:
    """Map a file's header names to canonical columns (first spelling found wins)."""
    by_norm: dict[str, str] = {}
    for original in header:
        by_norm.setdefault(normalise_header(original), original)
    mapping: dict[str, str] = {}
    for col in spec.columns.values():
        for candidate in (col.name, *col.aliases):
            hit = by_norm.get(normalise_header(candidate))
            if hit is not None:
                mapping[col.name] = hit
                break
    used = set(mapping.values())
    extra = tuple(h for h in header if h not in used)
    missing = [c for c in spec.required if c not in mapping]
    for group, options in spec.required_any.items():
        if not any(o in mapping for o in options):
            missing.append(f"{group} (one of {', '.join(options)})")
    return HeaderMatch(mapping=mapping, extra=extra, missing_required=tuple(missing))
