"""The people cache: Confluence user ids -> display name and e-mail, kept between runs.

Cloud gives account ids only (names were removed from content APIs for privacy in 2019), so every
creator and modifier costs a lookup; the cache makes that once per person, not once per run. A user
that could not be resolved keeps its id (the mapping shows the id) and is retried after a week, in
case the lookup failed for a passing reason. One file per connection,
`<root>/<connection prefix>/people/people.parquet`, written atomically.

Space partitions may run in parallel and each rewrites the file: the rename is atomic, so a reader sees
one whole version, and a lookup lost to a concurrent writer is simply made again by the next run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from upath import UPath

from .parquet_files import root_path, write_parquet_atomically

__all__ = ["PEOPLE", "RETRY_UNRESOLVED", "ids_to_resolve", "merge_people", "people_ids", "people_path",
           "read_people", "unresolved_ids", "write_people"]

PEOPLE = pl.Schema({
    "person_id": pl.String,  # Cloud account id, or Data Center user key (user name as a fallback)
    "display_name": pl.String,
    "email": pl.String,  # only where the profile's visibility allows it
    "kind": pl.String,  # cloud | datacenter | content (a name the content listing carried)
    "resolved": pl.Boolean,
    "checked_at": pl.Datetime("us", "UTC"),
})
RETRY_UNRESOLVED = timedelta(days=7)


def people_path(root: str, prefix: str) -> UPath:
    return root_path(root) / prefix / "people" / "people.parquet"


def read_people(root: str, prefix: str) -> pl.DataFrame:
    path = people_path(root, prefix)
    if not path.exists():
        return pl.DataFrame(schema=PEOPLE)
    with path.open("rb") as handle:
        return pl.read_parquet(handle).select(PEOPLE.names()).cast(PEOPLE)


def write_people(people: pl.DataFrame, root: str, prefix: str) -> UPath:
    return write_parquet_atomically(people.select(PEOPLE.names()).sort("person_id"), people_path(root, prefix),
                                    root_path(root))


def people_ids(items: pl.DataFrame) -> pl.Series:
    """Every creator and modifier id of the items, once."""
    ids = pl.concat([items["created_by"], items["modified_by"]]).drop_nulls().unique().sort()
    return ids.rename("person_id")


def ids_to_resolve(ids: pl.Series, cache: pl.DataFrame, now: datetime,
                   retry_after: timedelta = RETRY_UNRESOLVED) -> list[str]:
    """Ids the cache does not know, and unresolved ones last tried longer ago than `retry_after`."""
    fresh = cache.filter(pl.col("resolved") | (pl.col("checked_at") > now - retry_after))
    return pl.DataFrame({"person_id": ids}).join(fresh, on="person_id", how="anti")["person_id"].to_list()


def merge_people(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """New lookups replace old ones, except that a failed lookup never erases a name resolved before
    (a deactivated account may stop resolving; its pages still have an author)."""
    new = new.select(PEOPLE.names()).cast(PEOPLE)
    keep_old = old.join(new.filter(pl.col("resolved")), on="person_id", how="anti")
    lost = keep_old.filter(pl.col("resolved"))
    kept_new = new.join(lost.select("person_id"), on="person_id", how="anti")
    rest = keep_old.join(kept_new.select("person_id"), on="person_id", how="anti")
    return pl.concat([rest.cast(PEOPLE), kept_new]).sort("person_id")


def unresolved_ids(ids: pl.Series, cache: pl.DataFrame) -> list[str]:
    """Ids of the items with no resolved name in the cache: they keep their id, and are counted."""
    resolved = cache.filter(pl.col("resolved")).select("person_id")
    return pl.DataFrame({"person_id": ids}).join(resolved, on="person_id", how="anti")["person_id"].to_list()
