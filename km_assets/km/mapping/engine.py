"""article_metadata: one row per item, a column per KM field, and the lineage of every value.

Each field's value is, in order of precedence: what the last applying rule sets; else the field's
property (converted to its type); else its default. The lineage records which of these gave the value
and the configuration entry behind it, so "why is this article in category X" has an answer per row.
All of it is polars expressions over the whole frame: no Python loop per item (page properties aside,
which need an HTML parse and are only computed when a rule names one).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from ...config_mapping import DEFAULT_FIELDS, FieldMapping, MappingSettings
from .properties import needed_properties, prop, property_columns, source
from .rules import applied_rules, rule_columns
from .transforms import (
    category_columns,
    convert,
    dtype_of,
    is_missing,
    kind_of,
    label_steps,
    labels_column,
    literal,
)

__all__ = ["FIXED", "LINEAGE", "map_metadata", "metadata_schema"]

LINEAGE = pl.List(pl.Struct({"field": pl.String, "source": pl.String, "rule": pl.String}))
FIXED = pl.Schema({"content_id": pl.String, "version": pl.Int64, "space_key": pl.String, "archived": pl.Boolean,
                   "lineage": LINEAGE})
_NULL = pl.lit(None, dtype=pl.String)


def metadata_schema(settings: MappingSettings) -> pl.Schema:
    """The output's columns, from the settings alone (the UI shows it before anything runs)."""
    zone = settings.dates.time_zone
    fields = {f.name: dtype_of(f.type, f.time_zone or zone) for f in settings.effective_fields}
    return pl.Schema({**FIXED, **fields})


def map_metadata(items: pl.DataFrame, settings: MappingSettings, *, people: pl.DataFrame | None = None,
                 titles: pl.DataFrame | None = None, now: datetime) -> pl.DataFrame:
    """items (RAW_CONTENT rows, one per live item) -> metadata_schema(settings) rows, in the same order.

    `people`: the people cache (km.people.PEOPLE); `titles`: (content_id, title) of every page an
    ancestor may be (defaults to the items themselves)."""
    schema = metadata_schema(settings)
    if items.height == 0:
        return pl.DataFrame(schema=schema)
    needed = needed_properties(settings)
    df = property_columns(items, settings, needed, people=people, titles=titles)
    if "labels" in needed:
        df = df.with_columns(labels_column(settings.labels))
    if "category" in needed:
        df = df.with_columns(category_columns(settings.category))
    df = df.with_columns(rule_columns(settings))
    rules = applied_rules(settings)
    columns, lineage = [], []
    for field in settings.effective_fields:
        value, src, why = _field_value(field, settings, rules)
        columns.append(value.alias(field.name))
        lineage.append(pl.struct(field=pl.lit(field.name), source=src, rule=why))
    archived, src, why = _archived(settings, rules, now)
    lineage.append(pl.struct(field=pl.lit("archived"), source=src, rule=why))
    out = df.select(pl.col("content_id", "version", "space_key"), archived.alias("archived"), *columns,
                    *[entry.alias(f"__l:{i}") for i, entry in enumerate(lineage)])
    parts = [f"__l:{i}" for i in range(len(lineage))]
    out = out.with_columns(_rows_as_lists(out.select(parts)).alias("lineage")).drop(parts)
    return out.select(schema.names()).cast(dict(schema))  # type: ignore[arg-type]


def _rows_as_lists(columns: pl.DataFrame) -> pl.Series:
    """Each row's values across the columns as one list. pl.concat_list does this, but took 2 of the
    benchmark's 3 seconds on list-of-struct; stacking the columns, gathering them row by row and
    reshaping is ten times faster."""
    rows, width = columns.height, columns.width
    stacked = pl.concat([columns[name] for name in columns.columns], rechunk=True)
    position = pl.int_range(0, rows * width)
    order = pl.select(((position % width) * rows + position // width).alias("order"))["order"]
    return stacked.gather(order).reshape((rows, width)).arr.to_list()


def _origin(field: FieldMapping, settings: MappingSettings) -> str:
    """Where in the configuration the field is declared."""
    for position, declared in enumerate(settings.fields):
        if declared.name == field.name:
            return f"fields.{position}"
    return "default table" if field in DEFAULT_FIELDS else "fields"


def _field_value(field: FieldMapping, settings: MappingSettings,
                 rules: list) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    zone = field.time_zone or settings.dates.time_zone
    origin = _origin(field, settings)
    if field.source is None:
        value = pl.lit(None, dtype=dtype_of(field.type, zone))
        src, why = _NULL, pl.lit(f"{origin}: no value")
    else:
        value = convert(prop(field.source), kind_of(field.source), field, zone, settings.dates.format)
        missing = is_missing(value, field.type)
        described = f"{origin}: {field.name} <- {field.source}{_transforms(field.source, settings)}"
        src = pl.when(~missing).then(_source_detail(field.source))
        why = pl.when(~missing).then(pl.lit(described)).otherwise(pl.lit(f"{origin}: no value"))
    if field.default is not None:
        missing = is_missing(value, field.type)
        value = pl.when(missing).then(literal(field.default, field.type, zone)).otherwise(value)
        src = pl.when(missing).then(pl.lit("default")).otherwise(src)
        why = pl.when(missing).then(pl.lit(f"{origin}.default")).otherwise(why)
    for position, rule, applies in rules:
        if field.name in rule.set:
            value = pl.when(applies).then(literal(rule.set[field.name], field.type, zone)).otherwise(value)
            src = pl.when(applies).then(pl.lit("rule")).otherwise(src)
            why = pl.when(applies).then(pl.lit(rule.label_for(position))).otherwise(why)
    return value, src, why


def _source_detail(name: str) -> pl.Expr:
    """The property, and for people and categories which way the value was found for this item."""
    if name in ("creator", "last_modifier", "category"):
        return pl.format("{}: {}", pl.lit(name), source(name))
    return pl.lit(name)


def _transforms(name: str, settings: MappingSettings) -> str:
    if name == "labels" and label_steps(settings.labels):
        return f" (labels: {'; '.join(label_steps(settings.labels))})"
    if name == "category":
        return f" (category.from: {', '.join(settings.category.from_)})"
    return ""


def _archived(settings: MappingSettings, rules: list, now: datetime) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    archiving = settings.archiving
    value, src, why = pl.lit(False), _NULL, pl.lit("archiving: not archived")
    if archiving.older_than_days:
        cutoff = now - timedelta(days=archiving.older_than_days)
        old = pl.col("modified_at") < pl.lit(cutoff).cast(pl.Datetime("us", "UTC"))
        value = pl.when(old).then(True).otherwise(value)
        src = pl.when(old).then(pl.format("last modified {}", pl.col("modified_at").dt.date())).otherwise(src)
        why = pl.when(old).then(pl.lit(f"archiving.older_than_days ({archiving.older_than_days})")).otherwise(why)
    if archiving.confluence_archived:
        marked = pl.col("status") == "archived"
        value = pl.when(marked).then(True).otherwise(value)
        src = pl.when(marked).then(pl.lit("status archived")).otherwise(src)
        why = pl.when(marked).then(pl.lit("archiving.confluence_archived")).otherwise(why)
    for position, rule, applies in rules:
        if "archived" in rule.set:
            value = pl.when(applies).then(pl.lit(bool(rule.set["archived"]))).otherwise(value)
            src = pl.when(applies).then(pl.lit("rule")).otherwise(src)
            why = pl.when(applies).then(pl.lit(rule.label_for(position))).otherwise(why)
    return value.fill_null(False), src, why
