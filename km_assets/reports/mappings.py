"""The mapping explorer's sections: KM fields next to the Confluence properties they came from.

article_metadata holds a column per KM field and a `lineage` list (field, source, rule) per row; the raw
rows hold what Confluence said. `field_lineage` lays the two side by side, one row per (article, field).
"""

from __future__ import annotations

import polars as pl

from ..km.mapping import FIXED
from .store import Store

__all__ = ["category_distribution", "field_lineage", "km_fields", "missing_fields", "per_space",
           "rules_used", "tag_distribution"]

# Mapping property (the lineage's source, up to a colon) -> the raw_content column holding what
# Confluence said. Properties computed from several columns (ancestor paths, page properties) have none.
_RAW_COLUMN = {
    "title": "title", "creator": "created_by_name", "creator_id": "created_by", "created_date": "created_at",
    "last_modifier": "modified_by_name", "last_modifier_id": "modified_by", "last_modified_date": "modified_at",
    "version": "version", "labels": "labels", "space": "space_key", "space_name": "space_name",
    "content_type": "content_type", "status": "status", "url": "url", "category": "space_name",
    "parent_title": "parent_id",
}


def km_fields(metadata: pl.DataFrame) -> list[str]:
    """The KM field columns (everything but the fixed columns and the partition key)."""
    return [c for c in metadata.columns if c not in FIXED.names() and c != "space"]


def _texts(frame: pl.DataFrame, columns: list[str]) -> list[pl.Expr]:
    """Columns of any type as display text (lists joined with commas), for side-by-side tables."""
    out = []
    for column in columns:
        expr = pl.col(column)
        if isinstance(frame.schema[column], pl.List):
            expr = expr.list.eval(pl.element().cast(pl.String)).list.join(", ")
        out.append(expr.cast(pl.String).alias(column))
    return out


def field_lineage(metadata: pl.DataFrame, raw: pl.DataFrame) -> pl.DataFrame:
    """One row per (article, KM field): the KM value, the property and rule that set it, and the raw
    Confluence value of that property."""
    fields = km_fields(metadata)
    if metadata.height == 0:
        return pl.DataFrame(schema={"content_id": pl.String, "space": pl.String, "field": pl.String,
                                    "km_value": pl.String, "source": pl.String, "rule": pl.String,
                                    "confluence_value": pl.String})
    values = metadata.select("content_id", "version", *_texts(metadata, fields)).unpivot(
        index=["content_id", "version"], on=fields, variable_name="field", value_name="km_value")
    lineage = (metadata.select("content_id", "space", "lineage").explode("lineage").unnest("lineage")
               .filter(pl.col("field").is_in(fields)))
    joined = values.join(lineage, on=["content_id", "field"], how="left")
    joined = joined.with_columns(pl.col("source").str.split(":").list.first().str.strip_chars()
                                 .replace_strict(_RAW_COLUMN, default=None).alias("raw_column"))
    columns = sorted(set(_RAW_COLUMN.values()) & set(raw.columns))
    # The raw rows' own version is the join key; `version` may also be a property, shown as text.
    raw_text = raw.select("content_id", pl.col("version").alias("_synced"), *_texts(raw, columns)).unpivot(
        index=["content_id", "_synced"], on=columns, variable_name="raw_column", value_name="confluence_value")
    out = joined.join(raw_text, left_on=["content_id", "version", "raw_column"],
                      right_on=["content_id", "_synced", "raw_column"], how="left")
    return out.select("content_id", "space", "field", "km_value", "source", "rule", "confluence_value").sort(
        "content_id", "field")


def rules_used(metadata: pl.DataFrame) -> pl.DataFrame:
    """How many articles each rule set each field for."""
    if metadata.height == 0:
        return pl.DataFrame(schema={"field": pl.String, "rule": pl.String, "articles": pl.UInt32})
    lineage = metadata.select("content_id", "lineage").explode("lineage").unnest("lineage")
    return lineage.group_by("field", "rule").agg(pl.len().alias("articles")).sort("field", "articles",
                                                                                     descending=[False, True])


def tag_distribution(metadata: pl.DataFrame, field: str = "Tags") -> pl.DataFrame:
    if field not in metadata.columns:
        return pl.DataFrame(schema={"tag": pl.String, "articles": pl.UInt32})
    return (metadata.select(pl.col(field).alias("tag")).explode("tag").drop_nulls()
            .group_by("tag").agg(pl.len().alias("articles")).sort("articles", "tag", descending=[True, False]))


def category_distribution(metadata: pl.DataFrame, field: str = "Category") -> pl.DataFrame:
    if field not in metadata.columns:
        return pl.DataFrame(schema={"category": pl.String, "articles": pl.UInt32})
    return (metadata.group_by(pl.col(field).alias("category")).agg(pl.len().alias("articles"))
            .sort("articles", "category", descending=[True, False]))


def _is_missing(column: str, dtype: pl.DataType) -> pl.Expr:
    expr = pl.col(column).is_null()
    if dtype == pl.String:
        expr = expr | (pl.col(column).str.strip_chars() == "")
    elif isinstance(dtype, pl.List):
        expr = expr | (pl.col(column).list.len() == 0)
    return expr


def missing_fields(metadata: pl.DataFrame) -> pl.DataFrame:
    """Articles with at least one empty KM field, and which."""
    fields = km_fields(metadata)
    if metadata.height == 0 or not fields:
        return pl.DataFrame(schema={"content_id": pl.String, "space": pl.String, "missing": pl.List(pl.String)})
    flags = [pl.when(_is_missing(f, metadata.schema[f])).then(pl.lit(f)) for f in fields]
    return (metadata.select("content_id", "space", pl.concat_list(flags).list.drop_nulls().alias("missing"))
            .filter(pl.col("missing").list.len() > 0).sort("content_id"))


def per_space(metadata: pl.DataFrame) -> pl.DataFrame:
    """Per space: articles, archived ones, articles missing a field, distinct tags and categories."""
    missing = missing_fields(metadata).group_by("space").agg(pl.len().alias("with_missing_fields"))
    aggs = [pl.len().alias("articles"), pl.col("archived").sum().alias("archived")]
    if "Tags" in metadata.columns:
        aggs.append(pl.col("Tags").explode().drop_nulls().n_unique().alias("distinct_tags"))
    if "Category" in metadata.columns:
        aggs.append(pl.col("Category").n_unique().alias("categories"))
    return (metadata.group_by("space").agg(aggs).join(missing, on="space", how="left")
            .with_columns(pl.col("with_missing_fields").fill_null(0)).sort("space"))


def metadata_and_raw(store: Store) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(article_metadata, the raw rows of the versions it was mapped from)."""
    metadata = store.read("article_metadata")
    raw = store.versions().join(metadata.select("content_id", "version"), on=["content_id", "version"], how="semi")
    return metadata, raw
