"""Metadata mapping at scale: 100,000 articles, a dozen rules, every transform on.

    .venv/bin/python benchmarks/mapping.py                  # 100,000 rows, best of 3
    .venv/bin/python benchmarks/mapping.py --rows 1000000 --repeat 1

Rows are synthetic RAW_CONTENT (20 spaces, page trees four deep, 0-6 labels drawn from 60, 2,000 people
in the cache, 2 % archived, dates over five years), built with polars so building them is not what is
timed. The mapping has the seed's fields plus six more (created date, last modifier and e-mail, version,
ancestor path, status), label normalisation (lowercase, two prefixes, synonyms, a drop list), a category
from label prefix -> space map -> ancestors -> space, a time zone and date format, archiving by status
and by age, and twelve rules over labels, spaces, title patterns, ancestors and properties with `all`
matching. Page properties are left out: they parse HTML, one body at a time, and are computed only when
a rule names one.

Prints the wall time of `map_metadata` (best of --repeat) and rows/s; exit status 1 above --limit
seconds (2 by default, the issue's bound).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import UTC, datetime

import polars as pl

from km_assets.config_mapping import MappingSettings
from km_assets.km.mapping import map_metadata
from km_assets.km.people import PEOPLE
from km_assets.km.schemas import RAW_CONTENT

NOW = datetime(2026, 11, 26, tzinfo=UTC)
WORDS = ["network", "vpn", "runbook", "howto", "how-to", "policy", "draft", "incident", "release", "api", "security",
         "onboarding", "hr", "finance", "legal", "design", "roadmap", "faq", "archive", "infra"]
LABELS = [*WORDS, *[f"KB-{w}" for w in WORDS], *[f"cat-{w}" for w in WORDS]]

MAPPING = {
    "fields": [
        {"name": "Created", "source": "created_date", "type": "date"},
        {"name": "Modifier", "source": "last_modifier"},
        {"name": "Modifier Mail", "source": "last_modifier_email"},
        {"name": "Version", "source": "version", "type": "integer"},
        {"name": "Path", "source": "ancestor_path", "default": "(top)"},
        {"name": "Status", "source": "status"},
        {"name": "Updated", "source": "last_modified_date"},
    ],
    "labels": {"lowercase": True, "strip_prefixes": ["kb-", "cat-"], "synonyms": {"howto": "how-to"},
               "drop": ["draft", "archive"]},
    "category": {"from": ["label_prefix", "space_map", "ancestors", "space"], "label_prefix": "cat-",
                 "space_map": {"S00": "Zero", "S01": "One", "S02": "Two"}, "ancestor_level": 1},
    "dates": {"time_zone": "Europe/Berlin", "format": "%d.%m.%Y"},
    "archiving": {"older_than_days": 1095},
    "match": "all",
    "rules": [
        {"name": "runbooks", "when": {"label": "runbook"}, "set": {"Category": "Runbooks"}},
        {"name": "incidents", "when": {"label": ["incident"], "space": ["S03", "S04"]}, "set": {"Category": "Incidents"}},
        {"name": "release notes", "when": {"title": "(?i)release \\d+"}, "set": {"Category": "Releases"}},
        {"name": "policies", "when": {"title": "^Policy"}, "set": {"Category": "Policies", "Status": "policy"}},
        {"name": "under legal", "when": {"ancestor": "Legal"}, "set": {"Category": "Legal"}},
        {"name": "deep", "when": {"ancestor": "^Section 3$"}, "set": {"Path": "section three"}},
        {"name": "blogs", "when": {"properties": {"content_type": "^blogpost$"}}, "set": {"Category": "News"}},
        {"name": "v1 only", "when": {"properties": {"version": "^1$"}}, "set": {"Status": "new"}},
        {"name": "faq tags", "when": {"label": "faq"}, "set": {"Tags": ["faq", "help"]}},
        {"name": "finance", "when": {"space": ["S10", "S11"], "label": "finance"}, "set": {"Category": "Finance"}},
        {"name": "hide drafts", "when": {"label": "draft", "title": "WIP"}, "set": {"archived": True}},
        {"name": "old urls", "when": {"properties": {"url": "/display/"}}, "set": {"Status": "legacy"}},
    ],
}


def synthetic_items(rows: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(items, people, titles): all vectorised, so the build takes a fraction of the mapping's time."""
    base = pl.select(pl.int_range(0, rows).alias("i"))
    start = datetime(2021, 11, 1, tzinfo=UTC)
    labels = pl.Series("labels", [[LABELS[(n * 7 + k * 13) % len(LABELS)] for k in range(n % 7)]
                                  for n in range(rows)], dtype=pl.List(pl.String))
    items = base.with_columns(
        pl.col("i").cast(pl.String).alias("content_id"),
        pl.when(pl.col("i") % 50 == 0).then(pl.lit("blogpost")).otherwise(pl.lit("page")).alias("content_type"),
        pl.when(pl.col("i") % 50 == 1).then(pl.lit("archived")).otherwise(pl.lit("current")).alias("status"),
        pl.format("S{}", (pl.col("i") % 20).cast(pl.String).str.zfill(2)).alias("space_key"),
        pl.format("Space {}", pl.col("i") % 20).alias("space_name"),
        pl.format("{} {} {}", pl.when(pl.col("i") % 9 == 0).then(pl.lit("Policy")).otherwise(pl.lit("Page")),
                  pl.col("i"), pl.when(pl.col("i") % 11 == 0).then(pl.lit("Release 4"))
                  .when(pl.col("i") % 13 == 0).then(pl.lit("WIP")).otherwise(pl.lit("notes"))).alias("title"),
        (pl.col("i") % 5 + 1).cast(pl.Int64).alias("version"),
        (pl.lit(start) + pl.duration(minutes=pl.col("i") * 26 % 2_600_000)).alias("created_at"),
        pl.format("acc-{}", pl.col("i") % 2_000).alias("created_by"),
        pl.lit(None, dtype=pl.String).alias("created_by_name"),
        (pl.lit(start) + pl.duration(minutes=pl.col("i") * 29 % 2_600_000)).alias("modified_at"),
        pl.format("acc-{}", (pl.col("i") * 3) % 2_100).alias("modified_by"),
        pl.lit(None, dtype=pl.String).alias("modified_by_name"),
        pl.concat_list(pl.format("S{}-root", pl.col("i") % 20), pl.format("sec-{}", pl.col("i") % 200),
                       pl.format("sub-{}", pl.col("i") % 2_000)).list.head(pl.col("i") % 4).alias("ancestor_ids"),
        pl.lit(None, dtype=pl.String).alias("parent_id"),
        pl.lit([], dtype=pl.List(pl.String)).alias("read_restriction_users"),
        pl.lit([], dtype=pl.List(pl.String)).alias("read_restriction_groups"),
        pl.lit(False).alias("has_attachments"), pl.lit(False).alias("has_comments"),
        pl.lit(None, dtype=pl.String).alias("body_storage"),
        pl.format("https://acme.atlassian.net/wiki/spaces/S/pages/{}", pl.col("i")).alias("url"),
    ).with_columns(labels).select(RAW_CONTENT.names()).cast(RAW_CONTENT)
    people = pl.select(pl.int_range(0, 2_000).alias("n")).select(
        pl.format("acc-{}", pl.col("n")).alias("person_id"), pl.format("Person {}", pl.col("n")).alias("display_name"),
        pl.format("p{}@acme.example", pl.col("n")).alias("email"), pl.lit("cloud").alias("kind"),
        pl.lit(True).alias("resolved"), pl.lit(NOW).alias("checked_at")).cast(PEOPLE)
    titles = pl.concat([
        pl.DataFrame({"content_id": [f"S{n}-root" for n in range(20)], "title": [f"Home {n}" for n in range(20)]}),
        pl.DataFrame({"content_id": [f"sec-{n}" for n in range(200)],
                      "title": ["Legal" if n % 17 == 0 else f"Section {n % 10}" for n in range(200)]}),
        pl.DataFrame({"content_id": [f"sub-{n}" for n in range(2_000)], "title": [f"Topic {n}" for n in range(2_000)]}),
    ])
    return items, people, titles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=float, default=2.0, help="seconds; exit 1 above it")
    args = parser.parse_args(argv)

    settings = MappingSettings.model_validate(MAPPING)
    built = time.perf_counter()
    items, people, titles = synthetic_items(args.rows)
    print(f"built {items.height:,} rows in {time.perf_counter() - built:.2f} s "
          f"({len(settings.rules)} rules, {len(settings.effective_fields)} fields, match={settings.match})")
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        out = map_metadata(items, settings, people=people, titles=titles, now=NOW)
        times.append(time.perf_counter() - started)
    best = min(times)
    counts = out.group_by("Category").len().sort("len", descending=True).head(5).rows()
    print(f"map_metadata: best {best:.3f} s of {args.repeat} ({', '.join(f'{t:.3f}' for t in times)}), "
          f"{items.height / best:,.0f} rows/s; archived {int(out['archived'].sum()):,}; top categories {counts}")
    print(f"polars {pl.__version__}, Python {platform.python_version()}, {platform.machine()}, "
          f"{pl.thread_pool_size()} polars threads")
    if best > args.limit:
        print(f"FAIL: {best:.3f} s > {args.limit} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
