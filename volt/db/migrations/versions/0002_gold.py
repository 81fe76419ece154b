"""Gold tables as volt.etl.gold_schema says, data_loads, and the staging/swap functions.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02

The writer role may not create or rename tables: the load stages and swaps through owner-owned
SECURITY DEFINER functions that only ever touch the gold tables listed here.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from alembic import context, op

from volt.db.migrations.helpers import SCHEMA_KEY, grant, quote, role

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the contract at this revision (a later contract change needs a new migration);
# tests/db/test_gold_schema.py checks both sides.
SERVING = ("communes", "buildings", "areas", "dpe_vs_metered")
INTERNAL = ("dpe", "enedis_consumption", "ban_addresses")
GOLD = SERVING + INTERNAL
WRITER_DML = "SELECT, INSERT, UPDATE, DELETE, TRUNCATE"
CODE_INSEE = "'^([0-9]{5}|2[AB][0-9]{3})$'"
CODE_DEPARTEMENT = "'^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-8])$'"


def _cols(names: Sequence[str], pg_type: str) -> str:
    return ",\n".join(f"    {name} {pg_type}" for name in names)


def _labels(prefix: str) -> list[str]:
    return [f"{prefix}_{label}" for label in "abcdefg"]


def _stats(prefix: str) -> list[str]:
    dpe = [f"{prefix}{w}_{s}" for w in ("dpe_ef_kwh_m2", "dpe_ep_kwh_m2") for s in STATS]
    metered = [
        f"{prefix}metered_{w}_{s}" for w in ("kwh_per_dwelling", "kwh_m2") for s in STATS[:2]
    ]
    return dpe + metered


STATS = ("mean", "median", "p10", "p90")
QUARTILES = [
    f"{w}_{q}" for w in ("dpe_ef_kwh_m2", "metered_kwh_m2", "ratio") for q in ("q1", "median", "q3")
]
LABEL_COUNTS = _labels("n_label") + _labels("n_ges") + _labels("n_label_recomputed")

# Codes are text; the CHECKs catch a code that went through a number and lost its zero (0001).
GOLD_SQL = f"""
CREATE TABLE communes (
    code_insee       text PRIMARY KEY CHECK (code_insee ~ {CODE_INSEE}),
    nom              text,
    code_departement text CHECK (code_departement ~ {CODE_DEPARTEMENT}),
    code_region      text,
    code_epci        text,
    nom_epci         text,
    lon              double precision CHECK (lon BETWEEN -180 AND 180),
    lat              double precision CHECK (lat BETWEEN -90 AND 90)
);
COMMENT ON TABLE communes IS 'French communes (INSEE code) with their département, région, EPCI.';

CREATE TABLE buildings (
    ban_id                   text,
    annee                    integer CHECK (annee BETWEEN 2000 AND 2100),
    code_insee               text CHECK (code_insee ~ {CODE_INSEE}),
    code_iris                text,
    code_departement         text CHECK (code_departement ~ {CODE_DEPARTEMENT}),
    code_region              text,
    code_epci                text,
    street_code              text,
    nom_voie                 text,
    numero                   text,
    lon                      double precision,
    lat                      double precision,
    n_dwellings              integer CHECK (n_dwellings >= 0),
    metered_kwh_per_dwelling double precision,
    n_dpe                    integer CHECK (n_dpe >= 0),
    n_dpe_dwelling           integer CHECK (n_dpe_dwelling >= 0),
    mean_surface_m2          double precision,
    dpe_ef_kwh_m2            double precision,
    dpe_ep_kwh_m2            double precision,
    metered_kwh_m2           double precision,
{_cols(LABEL_COUNTS, "integer")},
    n_inconsistent_label     integer,
    share_electric_heating   double precision CHECK (share_electric_heating BETWEEN 0 AND 1),
    is_electric_heating      boolean,
    building_label           text,
    geocode_status           text,
    geocode_method           text,
    geocode_score            double precision,
    CONSTRAINT buildings_pkey PRIMARY KEY (ban_id, annee)
);
COMMENT ON TABLE buildings IS
    'One BAN address x Enedis year: metered consumption next to the DPE found at that address.';

CREATE TABLE areas (
    level                  text CHECK (level IN
        ('street', 'iris', 'commune', 'epci', 'departement', 'region', 'france')),
    code                   text,
    annee                  integer,
    name                   text,
    parent_level           text,
    parent_code            text,
    code_departement       text,
    n_buildings            integer,
    n_dwellings            integer,
    n_dpe                  integer,
    n_dpe_dwelling         integer,
    min_building_dwellings integer,
{_cols(LABEL_COUNTS, "integer")},
    n_inconsistent_label   integer,
{_cols(_stats(""), "double precision")},
    elec_n_buildings       integer,
    elec_n_dwellings       integer,
    elec_n_dpe             integer,
{_cols(_stats("elec_"), "double precision")},
    CONSTRAINT areas_pkey PRIMARY KEY (level, code, annee)
);
COMMENT ON TABLE areas IS
    'Aggregates per street, IRIS, commune, EPCI, département, région and France, per year.';

CREATE TABLE dpe_vs_metered (
    level                 text,
    code                  text,
    annee                 integer,
    etiquette_dpe         text,
    n_buildings_electric  integer,
    n_buildings_other     integer,
    n_dwellings_electric  integer,
{_cols(QUARTILES, "double precision")},
    wilcoxon_statistic    double precision,
    wilcoxon_p_value      double precision,
    trend_kendall_tau     double precision,
    trend_p_value         double precision,
    CONSTRAINT dpe_vs_metered_pkey PRIMARY KEY (level, code, annee, etiquette_dpe)
);
COMMENT ON TABLE dpe_vs_metered IS
    'Metered vs DPE final energy of electrically heated buildings, per area, year and label.';

CREATE TABLE dpe (
    numero_dpe                        text CONSTRAINT dpe_pkey PRIMARY KEY,
    numero_dpe_remplace               text,
    date_etablissement_dpe            date,
    type_batiment                     text,
    periode_construction              text,
    annee_construction                integer,
    surface_habitable_logement        double precision,
    etiquette_dpe                     text,
    etiquette_ges                     text,
    label_recomputed                  text,
    inconsistent_label                boolean,
    conso_5_usages_par_m2_ep          double precision,
    conso_5_usages_par_m2_ef          double precision,
    emission_ges_5_usages_par_m2      double precision,
    cep_current_kwh_m2                double precision,
    type_energie_principale_chauffage text,
    is_electric_heating               boolean,
    identifiant_ban                   text,
    code_insee                        text,
    code_departement                  text,
    is_replaced                       boolean
);
COMMENT ON TABLE dpe IS 'ADEME DPE, deduplicated. Internal: never granted to the API reader role.';

CREATE TABLE enedis_consumption (
    -- The natural key has optional parts (IRIS, sort key): a surrogate id is the primary key.
    id                               bigint GENERATED BY DEFAULT AS IDENTITY
        CONSTRAINT enedis_consumption_pkey PRIMARY KEY,
    annee                            integer NOT NULL,
    code_iris                        text,
    nom_iris                         text,
    numero_de_voie                   text,
    indice_de_repetition             text,
    type_de_voie                     text,
    libelle_de_voie                  text,
    adresse                          text NOT NULL,
    code_commune                     text NOT NULL,
    code_insee                       text,
    nom_commune                      text,
    code_epci                        text,
    code_departement                 text,
    code_region                      text,
    nombre_de_logements              integer,
    consommation_totale_mwh          double precision,
    consommation_moyenne_mwh         double precision,
    consommation_moyenne_commune_mwh double precision,
    tri_des_adresses                 bigint,
    ban_id                           text,
    geocode_status                   text,
    geocode_method                   text,
    geocode_score                    double precision,
    -- Two missing IRIS or sort keys must still collide (PostgreSQL 15).
    CONSTRAINT enedis_consumption_natural_key UNIQUE NULLS NOT DISTINCT
        (annee, code_commune, code_iris, adresse, tri_des_adresses)
);
COMMENT ON TABLE enedis_consumption IS
    'Enedis annual residential consumption per address (>= 10 dwellings), with its geocoding.';

CREATE TABLE ban_addresses (
    id          text CONSTRAINT ban_addresses_pkey PRIMARY KEY,
    id_fantoir  text,
    numero      text,
    rep         text,
    nom_voie    text,
    code_postal text,
    code_insee  text,
    nom_commune text,
    lon         double precision,
    lat         double precision,
    x           double precision,
    y           double precision,
    nom_afnor   text
);
COMMENT ON TABLE ban_addresses IS
    'BAN addresses; id is the interoperability key {{insee}}_{{voie}}_{{numero}}[_{{rep}}].';
"""

# unaccent() is only STABLE (its dictionary could change): this wrapper pins the dictionary so that
# it may sit in an index expression. The API must search with volt_unaccent(...) to use the index.
UNACCENT_SQL = """
CREATE FUNCTION volt_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    SET search_path = {path}
    RETURN unaccent('unaccent'::regdictionary, $1);
"""

# Secondary indexes. The publish function re-creates every index of a serving table on its
# staging twin, so the names below stay stable across loads.
INDEXES_SQL = """
CREATE INDEX areas_children_idx ON areas (level, parent_code, annee);
CREATE INDEX buildings_commune_idx ON buildings (code_insee, annee);
CREATE INDEX buildings_street_idx ON buildings (street_code, annee);
-- Street search goes through the street-level areas (one row per street, not per building).
CREATE INDEX areas_name_trgm_idx ON areas USING gin (volt_unaccent(name) gin_trgm_ops);
CREATE INDEX communes_nom_trgm_idx ON communes USING gin (volt_unaccent(nom) gin_trgm_ops);
CREATE INDEX communes_departement_idx ON communes (code_departement);
-- The internal tables (enedis_consumption, dpe, ban_addresses) keep only their keys: nothing
-- queries them by other columns yet, and every index is rebuilt on each load (≈ 1.6 s per
-- million rows here). The feature that needs one adds it.
-- No trigram index on ban_addresses: geocoding runs in DuckDB, and place search goes through
-- buildings and areas; a GIN over half a million street names would cost seconds per load.
"""

DATA_LOADS_SQL = """
CREATE TABLE data_loads (
    data_version     text PRIMARY KEY,
    run_id           text NOT NULL,
    loaded_at        timestamptz NOT NULL DEFAULT now(),
    manifest         jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- rows per table per partition 'annee|code_departement': the next load's drop gate reads it.
    partition_counts jsonb NOT NULL DEFAULT '{}'::jsonb,
    is_current       boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE data_loads IS 'Each published gold load; the current one is what the API serves.';
CREATE UNIQUE INDEX data_loads_one_current_idx ON data_loads (is_current) WHERE is_current;

ALTER TABLE etl_runs
    ADD COLUMN data_version text,
    ADD COLUMN manifests jsonb,
    ADD COLUMN quality jsonb;
"""

# Staging twins: LIKE copies columns, defaults, identity, CHECK and NOT NULL, but no index, so
# that COPY only appends. Leftovers of a crashed load are dropped first.
PREPARE_SQL = """
CREATE FUNCTION volt_prepare_staging() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {path}
AS $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY {tables} LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I, %I', t || '__staging', t || '__old');
        EXECUTE format(
            'CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
            'INCLUDING IDENTITY)', t || '__staging', t);
        EXECUTE format('GRANT SELECT, INSERT ON %I TO {writer}', t || '__staging');
    END LOOP;
END
$$;
"""

# Indexes of the serving table rebuilt on staging under '<name>__new' (constraints first, then
# plain indexes); the swap renames them back. Committed apart from the swap: staging is invisible.
INDEX_STAGING_SQL = """
CREATE FUNCTION volt_index_staging(p_tables text[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {path}
    -- Index builds sort in memory up to this much (the 64 MB default spills on large loads).
    SET maintenance_work_mem = '256MB'
AS $$
DECLARE
    t text;
    r record;
BEGIN
    -- Only gold staging tables, and only those asked for: the load indexes in parallel sessions.
    FOREACH t IN ARRAY ARRAY(SELECT x FROM unnest({tables}) x WHERE x = ANY(p_tables)) LOOP
        FOR r IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
                 WHERE conrelid = t::regclass AND contype IN ('p', 'u') ORDER BY conname LOOP
            EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s',
                           t || '__staging', r.conname || '__new', r.def);
        END LOOP;
        FOR r IN SELECT c.relname, pg_get_indexdef(i.indexrelid) AS def
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                 WHERE i.indrelid = t::regclass AND NOT EXISTS (
                     SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
                 ORDER BY c.relname LOOP
            -- pg_get_indexdef: 'CREATE [UNIQUE] INDEX name ON schema.table USING ...'.
            EXECUTE format('CREATE %sINDEX %I ON %I %s',
                           CASE WHEN r.def LIKE 'CREATE UNIQUE %' THEN 'UNIQUE ' ELSE '' END,
                           r.relname || '__new', t || '__staging',
                           substring(r.def FROM ' (USING .*)$'));
        END LOOP;
        EXECUTE format('ANALYZE %I', t || '__staging');
    END LOOP;
END
$$;
"""

# The swap, in the caller's transaction: readers see the old tables until it commits, the new
# ones after. LOCK first, in a fixed order, so that the caller's lock_timeout covers every wait.
SWAP_SQL = """
CREATE FUNCTION volt_swap_staging(
    p_data_version text, p_run_id text, p_manifest jsonb, p_partition_counts jsonb
) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {path}
AS $$
DECLARE
    t text;
    r record;
BEGIN
    EXECUTE 'LOCK TABLE ' || (SELECT string_agg(quote_ident(x), ', ') FROM unnest({tables}) x)
        || ' IN ACCESS EXCLUSIVE MODE';
    FOREACH t IN ARRAY {tables} LOOP
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t, t || '__old');
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t || '__staging', t);
        EXECUTE format('DROP TABLE %I', t || '__old');
        FOR r IN SELECT conname FROM pg_constraint
                 WHERE conrelid = t::regclass AND conname LIKE '%\\_\\_new' LOOP
            EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I',
                           t, r.conname, left(r.conname, -5));
        END LOOP;
        FOR r IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                 WHERE i.indrelid = t::regclass AND c.relname LIKE '%\\_\\_new' LOOP
            EXECUTE format('ALTER INDEX %I RENAME TO %I', r.relname, left(r.relname, -5));
        END LOOP;
        -- The identity sequence came with the staging table's name; give it the usual one back.
        FOR r IN SELECT a.attname, pg_get_serial_sequence(quote_ident(t), a.attname) AS seq
                 FROM pg_attribute a WHERE a.attrelid = t::regclass AND a.attidentity <> '' LOOP
            EXECUTE format('ALTER SEQUENCE %s RENAME TO %I',
                           r.seq, t || '_' || r.attname || '_seq');
        END LOOP;
        EXECUTE format('REVOKE ALL ON %I FROM {writer}', t);
        EXECUTE format('GRANT {writer_dml} ON %I TO {writer}', t);
        IF t = ANY({serving}) THEN
            EXECUTE format('GRANT SELECT ON %I TO {reader}', t);
        END IF;
    END LOOP;
    UPDATE data_loads SET is_current = false WHERE is_current;
    INSERT INTO data_loads (data_version, run_id, manifest, partition_counts, is_current)
    VALUES (p_data_version, p_run_id, p_manifest, p_partition_counts, true)
    ON CONFLICT (data_version) DO UPDATE SET run_id = EXCLUDED.run_id, loaded_at = now(),
        manifest = EXCLUDED.manifest, partition_counts = EXCLUDED.partition_counts,
        is_current = true;
END
$$;
"""

FUNCTIONS = (
    "volt_prepare_staging()",
    "volt_index_staging(text[])",
    "volt_swap_staging(text, text, jsonb, jsonb)",
)


def _array(names: Sequence[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{n}'" for n in names) + "]::text[]"


def _function_sql() -> list[str]:
    schema: str = context.config.attributes[SCHEMA_KEY]
    names = {
        # pg_temp last: a SECURITY DEFINER function must not resolve names in the caller's temp.
        "path": f"{quote(schema)}, public, pg_temp",
        "tables": _array(GOLD),
        "serving": _array(SERVING),
        "writer": role("writer"),
        "reader": role("reader"),
        "writer_dml": WRITER_DML,
    }
    return [s.format(**names) for s in (PREPARE_SQL, INDEX_STAGING_SQL, SWAP_SQL)]


def upgrade() -> None:
    op.execute("DROP TABLE areas, buildings, dpe, enedis_consumption, ban_addresses, communes")
    op.execute(GOLD_SQL)
    schema: str = context.config.attributes[SCHEMA_KEY]
    op.execute(UNACCENT_SQL.format(path=f"{quote(schema)}, public"))
    op.execute(INDEXES_SQL)
    op.execute(DATA_LOADS_SQL)
    for statement in _function_sql():
        op.execute(statement)
    for function in FUNCTIONS:
        # Functions are executable by PUBLIC by default: only the writer may load.
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {role('writer')}")
    op.execute(grant("SELECT", [*SERVING, "data_loads"], to="reader"))
    op.execute(grant(WRITER_DML, GOLD, to="writer"))
    op.execute(grant("SELECT", ["data_loads"], to="writer"))


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION volt_swap_staging(text, text, jsonb, jsonb), volt_index_staging(text[]), "
        "volt_prepare_staging()"
    )
    op.execute(
        "ALTER TABLE etl_runs DROP COLUMN data_version, DROP COLUMN manifests, DROP COLUMN quality"
    )
    op.execute("DROP TABLE data_loads")
    for table in GOLD:  # leftovers of an interrupted load
        op.execute(f"DROP TABLE IF EXISTS {table}__staging, {table}__old")
    op.execute(f"DROP TABLE {', '.join(GOLD)}")
    op.execute("DROP FUNCTION volt_unaccent(text)")
    # Back to 0001's gold tables, indexes and grants (its module name is not an identifier).
    initial = importlib.import_module("volt.db.migrations.versions.0001_initial")
    for statement in (
        initial.REFERENCE_SQL,
        initial.SOURCES_SQL,
        initial.BUILDINGS_SQL,
        initial.AREAS_SQL,
    ):
        op.execute(statement)
    op.execute(grant("SELECT", initial.SERVING_TABLES, to="reader"))
    op.execute(grant(WRITER_DML, [t for t in initial.ETL_TABLES if t != "etl_runs"], to="writer"))
