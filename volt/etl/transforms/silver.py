"""Bronze → silver: typed parquet per source, partitioned, every rejected row kept with its reason.

Per source: a raw view maps each file's header (current, legacy or label spellings) onto the
registry's canonical names, all VARCHAR; a generated view types every column with the macros of
macros.sql; silver_<source>.sql derives and checks; one pass writes a work parquet; the split
writes silver partitions and the rejects file. rows in (bronze) = rows out + rejected (+ out of
scope with --year/--departement), checked, never assumed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from volt.errors import InputFormatError
from volt.etl.manifest import Manifest, ManifestEntry
from volt.etl.reports import FileReport, StageReport
from volt.etl.sources.registry import (
    SOURCES,
    HeaderMatch,
    SourceName,
    SourceSpec,
    match_header,
    source_spec,
)
from volt.etl.textfiles import TextFileInfo, inspect_file
from volt.etl.transforms.duck import DuckConfig, connect, ident, literal, sql_text

PARTITIONS: dict[SourceName, tuple[str, ...]] = {
    "enedis": ("annee", "code_departement"),
    "dpe": ("code_departement",),
    "ban": ("code_departement",),
}
REJECTS_TABLE, REJECTS_SCAN = "csv_rejects", "csv_reject_scans"
MALFORMED_JSON = "malformed JSON line"


@dataclass(frozen=True)
class SilverScope:
    """Optional partition filter of a run (`--year`, `--departement`)."""

    year: int | None = None
    departement: str | None = None

    def sql(self, source: SourceName) -> str:
        terms = ["TRUE"]
        if self.year is not None and source == "enedis":
            terms.append(f"annee = {int(self.year)}")
        if self.departement is not None:
            terms.append(f"code_departement = {literal(self.departement)}")
        return " AND ".join(terms)


@dataclass(frozen=True)
class InputFile:
    entry: ManifestEntry
    path: Path
    info: TextFileInfo
    match: HeaderMatch


def inspect_inputs(manifest: Manifest, bronze_dir: Path) -> dict[SourceName, list[InputFile]]:
    """Read every bronze file's header; refuse the run (nothing written) if one lacks columns."""
    found: dict[SourceName, list[InputFile]] = {s: [] for s in SOURCES}
    problems: list[str] = []
    for source in SOURCES:
        spec = source_spec(source)
        for entry in manifest.for_source(source):
            path = bronze_dir / entry.path
            info = inspect_file(path)
            match = match_header(spec, list(info.header))
            problems.extend(missing_columns(source, entry.original_path, match))
            found[source].append(InputFile(entry, path, info, match))
    refuse_if_missing(problems)
    return found


def missing_columns(source: str, shown_path: str, match: HeaderMatch) -> list[str]:
    if not match.missing_required:
        return []
    return [
        f"{shown_path} ({source}): missing required column(s) " + ", ".join(match.missing_required)
    ]


def refuse_if_missing(problems: list[str]) -> None:
    if problems:
        raise InputFormatError(
            "Input files lack required columns; nothing was written:\n  " + "\n  ".join(problems),
            hint="Check that each file sits in its source's folder (enedis/, dpe/, ban/) and was "
            "exported with all columns; the README lists what each source needs.",
        )


def build_silver(
    inputs: dict[SourceName, list[InputFile]],
    silver_dir: Path,
    work_dir: Path,
    duck: DuckConfig,
    scope: SilverScope,
    on_source_done: Callable[[StageReport], None] | None = None,
) -> list[StageReport]:
    reports = []
    for source in SOURCES:
        if not inputs[source]:
            continue
        report = silver_source(source, inputs[source], silver_dir, work_dir, duck, scope)
        reports.append(report)
        if on_source_done:
            on_source_done(report)
    return reports


def silver_source(
    source: SourceName,
    files: list[InputFile],
    silver_dir: Path,
    work_dir: Path,
    duck: DuckConfig,
    scope: SilverScope,
) -> StageReport:
    started = time.perf_counter()
    spec = source_spec(source)
    work_dir.mkdir(parents=True, exist_ok=True)
    work = work_dir / f"{source}.parquet"
    con = connect(duck)
    try:
        con.execute(f"CREATE TEMP VIEW raw_{source} AS {raw_union_sql(spec, files)}")
        con.execute(f"CREATE TEMP VIEW typed_{source} AS {typed_sql(spec)}")
        con.execute(sql_text(f"silver_{source}.sql"))
        # One pass over the input: every row, typed, with its reason, flags and scope.
        con.execute(
            f"COPY (SELECT * EXCLUDE (_raw), ({scope.sql(source)}) AS _in_scope, "
            f"CASE WHEN _reject_reason IS NOT NULL THEN to_json(_raw)::VARCHAR END AS _raw_json "
            f"FROM checked_{source}) TO {literal(str(work))} (FORMAT parquet)"
        )
        con.execute(
            f"CREATE TEMP VIEW work_{source} AS SELECT * EXCLUDE (_in_scope) "
            f"FROM read_parquet({literal(str(work))}, file_row_number = true) "
            "WHERE _in_scope OR _reject_reason IS NOT NULL"
        )
        report = _split(con, source, spec, files, silver_dir, work)
    finally:
        con.close()
        work.unlink(missing_ok=True)
    return _with_time(report, time.perf_counter() - started)


def _split(
    con: duckdb.DuckDBPyConnection,
    source: SourceName,
    spec: SourceSpec,
    files: list[InputFile],
    silver_dir: Path,
    work: Path,
) -> StageReport:
    if source == "dpe":
        con.execute(sql_text("silver_dpe_dedup.sql"))
        final, extra_rejects = (
            "SELECT * FROM final_dpe",
            "SELECT _file, reason, raw FROM duplicate_dpe",
        )
    else:
        final = (
            f"SELECT * EXCLUDE (_reject_reason, _raw_json, file_row_number) FROM work_{source} "
            "WHERE _reject_reason IS NULL"
        )
        extra_rejects = None
    out_dir = silver_dir / source
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    partitions = ", ".join(PARTITIONS[source])
    # Trap: hive partition values are written as text (`code_departement=06`); keep the
    # columns inside the files too, so a reader that auto-casts partitions cannot drop the zero.
    written = con.execute(
        f"COPY ({final}) TO {literal(str(out_dir))} (FORMAT parquet, PARTITION_BY ({partitions}), "
        "WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE true, FILENAME_PATTERN 'part-{i}')"
    ).fetchone()
    broken_json = [
        _malformed_json_sql(f.path, f.entry.path)
        for f in files
        if f.info.format == "jsonl" and _has_malformed_json(con, source, f.entry.path)
    ]
    rejects_sql = _rejects_sql(source, extra_rejects, _has_csv_rejects(con), broken_json)
    rejects_path = silver_dir / "_rejects" / f"{source}.parquet"
    rejects_path.parent.mkdir(parents=True, exist_ok=True)
    rejected = con.execute(
        f"COPY ({rejects_sql}) TO {literal(str(rejects_path))} (FORMAT parquet)"
    ).fetchone()
    counts = (int(written[0]) if written else 0, int(rejected[0]) if rejected else 0)
    return _count(con, source, files, (out_dir, rejects_path), counts, work)


def _rejects_sql(
    source: SourceName, extra: str | None, csv_rejects: bool, broken_json: list[str]
) -> str:
    parts = [
        f"SELECT _file, _reject_reason AS reason, _raw_json AS raw FROM work_{source} "
        f"WHERE _reject_reason IS NOT NULL AND _reject_reason <> '{MALFORMED_JSON}'",
        *broken_json,
    ]
    if extra:
        parts.append(extra)
    # Lines DuckDB could not split into the header's columns (store_rejects), one per line.
    parts.append(
        # file_path is the bronze path; keep `<source>/<name>` like every other reject.
        f"SELECT regexp_extract(any_value(s.file_path), '[^/]+/[^/]+$') AS _file, "
        f"'malformed CSV line: ' || string_agg(DISTINCT e.error_type, ', ') AS reason, "
        f"any_value(e.csv_line) AS raw FROM {REJECTS_TABLE} e JOIN {REJECTS_SCAN} s "
        f"USING (scan_id, file_id) GROUP BY e.scan_id, e.file_id, e.line"
        if csv_rejects
        else "SELECT NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR WHERE FALSE"
    )
    return " UNION ALL ".join(parts)


def _has_malformed_json(con: duckdb.DuckDBPyConnection, source: SourceName, file: str) -> bool:
    row = con.execute(
        f"SELECT count(*) FROM work_{source} WHERE _file = ? AND _reject_reason = ?",
        [file, MALFORMED_JSON],
    ).fetchone()
    return bool(row and row[0])


def _has_csv_rejects(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [REJECTS_TABLE]
    ).fetchone()
    return bool(row and row[0])


def _count(
    con: duckdb.DuckDBPyConnection,
    source: SourceName,
    files: list[InputFile],
    outputs: tuple[Path, Path],
    counts: tuple[int, int],
    work: Path,
) -> StageReport:
    def scalar(sql: str) -> int:
        row = con.execute(sql).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    out_dir, rejects_path = outputs
    rows_in = sum(f.entry.rows for f in files)
    rows_out, rejected = counts
    work_lit = literal(str(work))
    out_of_scope = scalar(
        f"SELECT count(*) FROM read_parquet({work_lit}) "
        "WHERE NOT _in_scope AND _reject_reason IS NULL"
    )
    flagged = scalar(
        f"SELECT count(*) FROM read_parquet({work_lit}) "
        "WHERE _in_scope AND _reject_reason IS NULL AND len(quality_flags) > 0"
    )
    reasons = dict(
        con.execute(
            f"SELECT reason, count(*) FROM read_parquet({literal(str(rejects_path))}) "
            "GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
    )
    flags = dict(
        con.execute(
            f"SELECT f, count(*) FROM (SELECT unnest(quality_flags) AS f FROM "
            f"read_parquet({work_lit}) WHERE _in_scope AND _reject_reason IS NULL) "
            "GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
    )
    file_reports = tuple(
        FileReport(
            f.entry.original_path,
            f.entry.rows,
            extra_columns=f.match.extra,
            header_variant=_variant(f),
        )
        for f in files
    )
    return StageReport(
        stage="silver",
        source=source,
        rows_in=rows_in,
        rows_out=rows_out,
        rows_rejected=rejected,
        rows_flagged=flagged,
        rows_out_of_scope=out_of_scope,
        files=file_reports,
        outputs=(str(out_dir), str(rejects_path)),
        reject_reasons={str(k): int(v) for k, v in reasons.items()},
        flags={str(k): int(v) for k, v in flags.items()},
    )


def _variant(f: InputFile) -> str:
    canonical = sum(1 for c, h in f.match.mapping.items() if c == h)
    kind = "canonical keys" if canonical * 2 >= len(f.match.mapping) else "label/legacy keys"
    sep = f"sep {f.info.separator!r}" if f.info.format == "csv" else "JSON lines"
    return f"{kind}, {sep}" + (", BOM" if f.info.has_bom else "")


def _with_time(report: StageReport, seconds: float) -> StageReport:
    from dataclasses import replace

    return replace(report, seconds=seconds)


def raw_union_sql(spec: SourceSpec, files: list[InputFile]) -> str:
    """All files of one source as canonical VARCHAR columns plus `_file` and `_parse_error`."""
    return " UNION ALL ".join(_raw_file_sql(spec, f) for f in files)


def _raw_file_sql(spec: SourceSpec, f: InputFile) -> str:
    file_name = literal(f.entry.path)
    path = literal(str(f.path))
    if f.info.format == "jsonl":
        return _raw_jsonl_sql(spec, f, file_name, path)
    # Columns by position, typed VARCHAR here: DuckDB then binds the file without sniffing it
    # (≈ 15 ms a file, seconds a run), and header spellings never become SQL identifiers. The
    # first of two same-named header columns wins, as the header match assumes.
    position = {name: i for i, name in reversed(list(enumerate(f.info.header)))}
    cols = [
        f"c{position[f.match.mapping[c]]} AS {ident(c)}"
        if c in f.match.mapping
        else f"NULL::VARCHAR AS {ident(c)}"
        for c in spec.columns
    ]
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(f.info.header))) + "}"
    # Trap: quoted fields may hold line breaks; separators vary; BOM is stripped by DuckDB.
    reader = (
        f"read_csv({path}, delim={literal(f.info.separator)}, header=true, auto_detect=false, "
        f"columns={columns}, quote='\"', escape='\"', strict_mode=true, "
        "max_line_size=8388608, "
        f"store_rejects=true, rejects_table='{REJECTS_TABLE}', rejects_scan='{REJECTS_SCAN}')"
    )
    return (
        f"SELECT {', '.join(cols)}, {file_name} AS _file, NULL::VARCHAR AS _parse_error, "
        f"NULL::VARCHAR AS _line FROM {reader}"
    )


def _raw_jsonl_sql(spec: SourceSpec, f: InputFile, file_name: str, path: str) -> str:
    seen = set(f.info.header)
    paths: list[str] = []
    exprs = []
    for col in spec.columns.values():
        spellings = [s for s in (col.name, *col.aliases) if s in seen] or [col.name, *col.aliases]
        idx = []
        for s in spellings:
            paths.append("$." + '"' + s.replace('"', '\\"') + '"')
            idx.append(len(paths))
        picks = ", ".join(f"v[{i}]" for i in idx)
        exprs.append(f"COALESCE({picks}, NULL::VARCHAR) AS {ident(col.name)}")
    path_list = "[" + ", ".join(literal(p) for p in paths) + "]"
    # Each line parsed once; every wanted key extracted in one call. A broken line comes back as
    # a NULL object; its text is recovered by `_malformed_json_sql` for the rejects file.
    reader = f"read_ndjson_objects({path}, ignore_errors=true, maximum_object_size=16777216)"
    return (
        f"SELECT {', '.join(exprs)}, {file_name} AS _file, "
        f"CASE WHEN j IS NULL THEN '{MALFORMED_JSON}' END AS _parse_error, "
        "NULL::VARCHAR AS _line "
        f"FROM (SELECT json AS j, json_extract_string(json, {path_list}) AS v FROM {reader})"
    )


def _malformed_json_sql(path: Path, file_name: str) -> str:
    """The text of the broken lines of one JSON-lines file (slow; run only when there are some)."""
    lines = (
        f"read_csv({literal(str(path))}, columns={{'_line': 'VARCHAR'}}, delim='\\x1f', "
        "quote='', escape='', header=false, auto_detect=false, max_line_size=16777216)"
    )
    return (
        f"SELECT {literal(file_name)} AS _file, '{MALFORMED_JSON}' AS reason, _line AS raw "
        f"FROM {lines} WHERE trim(_line) <> '' AND TRY_CAST(_line AS JSON) IS NULL"
    )


def typed_sql(spec: SourceSpec) -> str:
    """Type every registry column once; list why a row cannot be typed (first reason wins).

    Three layers so that each macro runs once per value: cleaned text, typed value, reasons.
    """
    cleaned, typed, errors = [], [], ["_parse_error"]
    for col in spec.columns.values():
        name, text = ident(col.name), ident(f"_t_{col.name}")
        clean = "clean_free_text" if col.type == "text" else "clean_text"
        cleaned.append(f"{clean}(r.{name}) AS {text}")
        typed.append(f"to_{col.type}({text}) AS {name}")
        if col.required:
            errors.append(f"CASE WHEN {text} IS NULL THEN '{col.name}: missing' END")
        if col.type != "text":
            errors.append(
                f"CASE WHEN {text} IS NOT NULL AND {name} IS NULL "
                f"THEN '{col.name}: not a valid {col.type.replace('_', ' ')}' END"
            )
    text_cols = ", ".join(ident(f"_t_{c}") for c in spec.columns)
    return (
        f"SELECT * EXCLUDE ({text_cols}), "
        f"list_filter([{', '.join(errors)}], lambda e: e IS NOT NULL) AS _errors "
        f"FROM (SELECT {', '.join(typed)}, c.* FROM (SELECT {', '.join(cleaned)}, r._file, "
        f"r._parse_error, r AS _raw FROM raw_{spec.name} AS r) AS c)"
    )
