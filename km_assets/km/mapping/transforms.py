"""Value transforms as polars expressions: labels, the category, types, dates and defaults."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from ...config_mapping import CategorySettings, FieldMapping, LabelSettings, property_kind
from .properties import prop

__all__ = ["category_columns", "convert", "dtype_of", "is_missing", "kind_of", "label_steps", "labels_column",
           "literal"]

_DTYPES: dict[str, Any] = {"string": pl.String, "integer": pl.Int64, "boolean": pl.Boolean, "date": pl.Date,
                           "list": pl.List(pl.String)}
_TRUE = ["true", "yes", "y", "1", "on"]
_FALSE = ["false", "no", "n", "0", "off"]


def dtype_of(field_type: str, time_zone: str) -> pl.DataType:
    if field_type == "datetime":
        return pl.Datetime("us", time_zone)
    return _DTYPES[field_type]


def label_steps(labels: LabelSettings) -> list[str]:
    """The transforms in effect, for the lineage."""
    steps = ["lowercase"] if labels.lowercase else []
    steps += [f"strip {', '.join(labels.strip_prefixes)}"] if labels.strip_prefixes else []
    steps += ["synonyms"] if labels.synonyms else []
    steps += [f"drop {', '.join(labels.drop)}"] if labels.drop else []
    return steps


def labels_column(labels: LabelSettings) -> pl.Expr:
    """Normalised labels, in order: lowercase, prefix stripping, synonyms, drop list; duplicates removed."""
    element = pl.element()
    if labels.lowercase:
        element = element.str.to_lowercase()
    if labels.strip_prefixes:
        prefixes = "|".join(re.escape(p) for p in labels.strip_prefixes)
        element = element.str.replace(f"^(?:{prefixes})", "")
    if labels.synonyms:
        element = element.replace(labels.synonyms)
    expr = prop("raw_labels").list.eval(element)
    drop = [*labels.drop, ""]
    expr = expr.list.eval(pl.element().filter(~pl.element().is_in(drop)))
    return expr.list.unique(maintain_order=True).alias("__p:labels")


def category_columns(category: CategorySettings) -> list[pl.Expr]:
    """`__p:category`: the first configured source with a value; `__s:category` names it per item."""
    candidates: list[tuple[pl.Expr, pl.Expr]] = []
    for kind in category.from_:
        if kind == "space_map":
            value = pl.col("space_key").replace_strict(category.space_map, default=None, return_dtype=pl.String)
            why = pl.format("space_map[{}]", pl.col("space_key"))
        elif kind == "ancestors":
            value = prop("ancestor_titles").list.get(category.ancestor_level, null_on_oob=True)
            why = pl.lit(f"ancestor title at level {category.ancestor_level}")
        elif kind == "label_prefix":
            prefix = category.label_prefix or ""
            first = prop("raw_labels").list.eval(
                pl.element().filter(pl.element().str.starts_with(prefix))).list.first()
            value = first.str.strip_prefix(prefix)
            why = pl.format("label {}", first)
        else:
            value, why = prop("space"), pl.lit("space name")
        candidates.append((value.replace("", None), why))
    chosen = pl.coalesce([v for v, _ in candidates]).alias("__p:category")
    reason = pl.when(candidates[0][0].is_not_null()).then(candidates[0][1])
    for value, why in candidates[1:]:
        reason = reason.when(value.is_not_null()).then(why)
    return [chosen, reason.alias("__s:category")]


def convert(expr: pl.Expr, kind: str, field: FieldMapping, time_zone: str, date_format: str | None) -> pl.Expr:
    """A property of `kind` as the field's type (config validation allowed only sensible pairs)."""
    target = field.type
    if kind == "datetime":
        local = expr.dt.convert_time_zone(time_zone)
        if target == "datetime":
            return local
        if target == "date":
            return local.dt.date()
        return local.dt.to_string(field.format or date_format or "%Y-%m-%dT%H:%M:%S%:z")
    if kind == "integer":
        return expr if target == "integer" else expr.cast(pl.String)
    if kind == "list":
        return expr if target == "list" else expr.list.join(", ")
    text = expr.str.strip_chars()
    if target == "integer":
        return text.cast(pl.Int64, strict=False)
    if target == "boolean":
        lowered = text.str.to_lowercase()
        return pl.when(lowered.is_in(_TRUE)).then(True).when(lowered.is_in(_FALSE)).then(False)
    if target == "date":
        return text.str.to_date(field.format, strict=False)
    if target == "datetime":
        return text.str.to_datetime(field.format, strict=False, time_zone="UTC").dt.convert_time_zone(time_zone)
    if target == "list":
        return text.str.split(",").list.eval(pl.element().str.strip_chars()).list.eval(
            pl.element().filter(pl.element() != ""))
    return text


def is_missing(expr: pl.Expr, field_type: str) -> pl.Expr:
    if field_type == "list":
        return expr.is_null() | (expr.list.len() == 0)
    if field_type == "string":
        return expr.is_null() | (expr == "")
    return expr.is_null()


def literal(value: Any, field_type: str, time_zone: str) -> pl.Expr:
    """A configured value (a default, or what a rule sets) as a typed literal."""
    if field_type == "date" and isinstance(value, str):
        value = date.fromisoformat(value)
    if field_type == "datetime":
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:  # a naive value is read in the mapping's time zone
            moment = moment.replace(tzinfo=ZoneInfo(time_zone))
        return pl.lit(moment.astimezone(UTC)).cast(pl.Datetime("us", "UTC")).dt.convert_time_zone(time_zone)
    return pl.lit(value, dtype=dtype_of(field_type, time_zone))


def kind_of(source: str) -> str:
    kind = property_kind(source)
    assert kind is not None, source  # config validation refused unknown properties
    return kind
