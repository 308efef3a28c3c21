"""Confluence properties as columns: `__p:<name>` holds the value, `__s:<name>` (some) where it came from.

Only the properties a configuration uses are computed: ancestor titles need a join, page properties a
parse of every body, people a join with the cache.
"""

from __future__ import annotations

import polars as pl

from ...config_mapping import PAGE_PROPERTY, MappingSettings
from ...convert.page_properties import page_properties
from ..people import PEOPLE

__all__ = ["needed_properties", "prop", "property_columns", "source"]

_DIRECT = {
    "content_id": "content_id", "title": "title", "content_type": "content_type", "status": "status",
    "url": "url", "creator_id": "created_by", "created_date": "created_at", "last_modifier_id": "modified_by",
    "last_modified_date": "modified_at", "version": "version", "space_key": "space_key",
    "space_name": "space_name",
}
_NEEDS = {  # derived properties and what they are made of
    "ancestor_path": {"ancestor_titles"}, "parent_title": {"ancestor_titles"},
    "category": {"space"},
}


def prop(name: str) -> pl.Expr:
    return pl.col(f"__p:{name}")


def source(name: str) -> pl.Expr:
    return pl.col(f"__s:{name}")


def needed_properties(settings: MappingSettings) -> set[str]:
    needed = {f.source for f in settings.effective_fields if f.source}
    for rule in settings.rules:
        when = rule.when
        needed |= set(when.properties)
        needed |= {"labels"} if when.label else set()
        needed |= {"ancestor_titles"} if when.ancestor else set()
        needed |= {"title"} if when.title else set()
    if "category" in needed:
        sources = set(settings.category.from_)
        needed |= {"ancestor_titles"} if "ancestors" in sources else set()
        needed |= {"raw_labels"} if "label_prefix" in sources else set()
    if "labels" in needed:
        needed.add("raw_labels")
    for name, parts in _NEEDS.items():
        if name in needed:
            needed |= parts
    return needed


def property_columns(items: pl.DataFrame, settings: MappingSettings, needed: set[str], *,
                     people: pl.DataFrame | None, titles: pl.DataFrame | None) -> pl.DataFrame:
    """items with one `__p:` column per needed property (and `__s:` columns saying where from)."""
    df = items.with_columns(
        *[pl.col(col).alias(f"__p:{name}") for name, col in _DIRECT.items() if name in needed],
        pl.col("labels").fill_null([]).alias("__p:raw_labels"),
        pl.coalesce(pl.col("space_name"), pl.col("space_key")).alias("__p:space"),
    )
    if needed & {"creator", "creator_email", "last_modifier", "last_modifier_email"}:
        df = _people(df, people if people is not None else pl.DataFrame(schema=PEOPLE))
    if "ancestor_titles" in needed:
        df = _ancestor_titles(df, items if titles is None else titles)
        df = df.with_columns(prop("ancestor_titles").list.join(" / ").replace("", None).alias("__p:ancestor_path"),
                             prop("ancestor_titles").list.last().alias("__p:parent_title"))
    keys = sorted(n[len(PAGE_PROPERTY):] for n in needed if n.startswith(PAGE_PROPERTY))
    if keys:
        df = _page_properties(df, keys)
    return df


def _people(df: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """creator / last_modifier: the cache's resolved name, else the name the content carried, else the id."""
    resolved = people.filter(pl.col("resolved")).select("person_id", "display_name", "email")
    for role, id_col, name_col in (("creator", "created_by", "created_by_name"),
                                   ("last_modifier", "modified_by", "modified_by_name")):
        joined = resolved.rename({"person_id": id_col, "display_name": "__name", "email": "__email"})
        df = df.join(joined, on=id_col, how="left", maintain_order="left")
        df = df.with_columns(
            pl.coalesce("__name", name_col, id_col).alias(f"__p:{role}"),
            pl.when(pl.col("__name").is_not_null()).then(pl.lit("people cache"))
            .when(pl.col(name_col).is_not_null()).then(pl.lit("content listing"))
            .when(pl.col(id_col).is_not_null()).then(pl.lit("unresolved id"))
            .alias(f"__s:{role}"),
            pl.col("__email").alias(f"__p:{role}_email"),
        ).drop("__name", "__email")
    return df


def _ancestor_titles(df: pl.DataFrame, titles: pl.DataFrame) -> pl.DataFrame:
    """Root-first titles of the ancestors; an ancestor whose title is unknown keeps its id."""
    lookup = titles.select(pl.col("content_id").alias("__aid"), pl.col("title").alias("__atitle")).unique(
        "__aid", keep="last")
    exploded = (df.select(pl.int_range(pl.len()).alias("__row"), pl.col("ancestor_ids").alias("__aid"))
                .explode("__aid").with_columns(pl.int_range(pl.len()).alias("__pos")))
    named = (exploded.join(lookup, on="__aid", how="left").sort("__pos")
             .group_by("__row", maintain_order=True)
             .agg(pl.coalesce("__atitle", "__aid").drop_nulls().alias("__p:ancestor_titles")))
    return (df.with_row_index("__row").join(named, on="__row", how="left", maintain_order="left")
            .with_columns(pl.col("__p:ancestor_titles").fill_null([])).drop("__row"))


def _page_properties(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Parsed once per body; keys match without regard to case or surrounding spaces."""
    wanted = {k.strip().lower(): k for k in keys}
    values: dict[str, list[str | None]] = {k: [] for k in keys}
    for body in df["body_storage"]:
        found = {k.strip().lower(): v for k, v in page_properties(body).items()}
        for lowered, key in wanted.items():
            values[key].append(found.get(lowered) or None)
    return df.with_columns(pl.Series(f"__p:{PAGE_PROPERTY}{k}", values[k], dtype=pl.String) for k in keys)
