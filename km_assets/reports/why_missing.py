"""`km why-missing CONNECTION PAGE`: what keeps one Confluence page out of the KM, in one answer.

The seed's "missing content" troubleshooting, in order: look the page up as the sync user (with every
status, so trashed, draft and archived pages are found); if Confluence hides it, ask whether the sync
user can see its space at all. Then the connection's filters one by one (which one excludes it), then
what the sync stored: a space or a window not synced yet, a version the reconciliation no longer
lists, a conversion that failed or kept too few words, or where the article is. No Dagster: stored
Parquet is read by path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, unquote_plus, urlsplit

import polars as pl

from ..config import ConnectionSettings, KmConfig
from ..confluence import client_for
from ..confluence.client import ConfluenceClient
from ..confluence.errors import NotFoundError, PermissionDeniedError
from ..confluence.listing import LISTING_EXPAND, content_filter, matches
from ..confluence.records import content_record
from ..convert.fidelity import FIDELITY_THRESHOLD
from ..km.articles import article_path
from ..km.windows import window_for
from .store import Store

__all__ = ["FIDELITY_THRESHOLD", "Verdict", "diagnose_missing", "parse_page_ref", "why_missing"]

_STATUSES = "current,trashed,draft,archived"


@dataclass
class Verdict:
    reason: str  # a short code: status, filter_label, no_permission, window_not_synced, synced, ...
    page: str
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join([self.page, *[f"  {line}" for line in self.lines]])


def parse_page_ref(ref: str) -> tuple[str | None, str | None, str | None]:
    """(content id, space key, title) from an id or a page URL: /spaces/KEY/pages/ID/..., a blog post's
    /spaces/KEY/blog/YYYY/MM/DD/ID/..., ?pageId=ID, or /display/KEY/Title (then the title is looked up)."""
    ref = ref.strip()
    if ref.isdigit():
        return ref, None, None
    parts = urlsplit(ref)
    query = parse_qs(parts.query)
    space = (query.get("spaceKey") or [None])[0]
    if "pageId" in query:
        return query["pageId"][0], space, None
    segments = [unquote_plus(s) for s in parts.path.split("/") if s]
    if "spaces" in segments and len(segments) > segments.index("spaces") + 1:
        space = segments[segments.index("spaces") + 1]
    for marker in ("pages", "blog"):
        if marker in segments:
            ids = [s for s in segments[segments.index(marker) + 1:] if s.isdigit() and len(s) > 4]
            if ids:
                return ids[0], space, None
    if "display" in segments and len(segments) > segments.index("display") + 2:
        at = segments.index("display")
        return None, segments[at + 1], segments[-1]
    raise ValueError(f"cannot find a page id in {ref!r}: give the id, or a URL with /pages/<id>/, ?pageId=<id> "
                     "or /display/<space>/<title> (tiny /x/ links are not supported: open them and copy the URL)")


def why_missing(config: KmConfig, connection_name: str, page_id_or_url: str, *,
                now: datetime | None = None) -> str:
    """The answer as text (what `km why-missing` prints)."""
    return diagnose_missing(config, connection_name, page_id_or_url, now=now).text()


def diagnose_missing(config: KmConfig, connection_name: str, page_id_or_url: str, *,
                     now: datetime | None = None) -> Verdict:
    connection = config.connection(connection_name)
    content_id, space, title = parse_page_ref(page_id_or_url)
    store = Store(config.storage.root, connection.asset_prefix)
    now = now or datetime.now(UTC)
    with client_for(connection, connection.secret()) as client:
        if content_id is None:
            content_id = _by_title(client, space or "", title or "")
            if content_id is None:
                return Verdict("not_found", f"No page titled {title!r} in space {space} for the sync user",
                               [_not_visible(client, connection, space)])
        try:
            item = client.get_json(f"/rest/api/content/{content_id}",
                                   {"status": _STATUSES, "expand": LISTING_EXPAND})
        except (NotFoundError, PermissionDeniedError):
            return _hidden(client, connection, store, content_id, space)
    record = content_record(item, client.base_url)
    head = f"Page {record['content_id']} {record['title']!r} ({record['content_type']} in {record['space_key']})"
    for check in (_status, _filters):
        verdict = check(connection, record, head)
        if verdict is not None:
            return verdict
    return _stored(connection, store, record, head, now)


def _by_title(client: ConfluenceClient, space: str, title: str) -> str | None:
    body = client.get_json("/rest/api/content", {"spaceKey": space, "title": title, "limit": 1})
    results = body.get("results") or []
    return str(results[0]["id"]) if results else None


def _not_visible(client: ConfluenceClient, connection: ConnectionSettings, space: str | None) -> str:
    user = connection.auth.username or "the sync user"
    if space:
        try:
            client.get_json(f"/rest/api/space/{space}")
        except (NotFoundError, PermissionDeniedError):
            return (f"the sync user ({user}) cannot see space {space} at all: grant it (or a group it is in) "
                    f"the space's View permission")
        return (f"the sync user ({user}) can see space {space}, but not this page: a read restriction on the "
                "page or on one of its ancestors leaves it out (add the user or its group to the restriction), "
                "or the page was deleted")
    return (f"Confluence answers 404 to the sync user ({user}): the page does not exist, or a space permission or "
            "a read restriction (on the page or an ancestor) keeps the sync user out")


def _hidden(client: ConfluenceClient, connection: ConnectionSettings, store: Store, content_id: str,
            space: str | None) -> Verdict:
    synced = store.versions().filter(pl.col("content_id") == content_id).sort("version")
    if space is None and synced.height:
        space = synced["space_key"][-1]
    lines = [_not_visible(client, connection, space)]
    reason = "not_found"
    if "cannot see space" in lines[0]:
        reason = "no_space_permission"
    elif "read restriction" in lines[0]:
        reason = "no_permission"
    if synced.height:
        last = synced.row(-1, named=True)
        lines.append(f"it was synced before (version {last['version']}, {last['title']!r}, modified "
                     f"{_when(last['modified_at'])}); a reconciliation then records a tombstone and drops its article from articles_current")
        gone = store.read("tombstones").filter(pl.col("content_id") == content_id)
        if gone.height:
            lines.append(f"tombstone recorded {_when(gone['noticed_at'][0])}: {gone['reason'][0]}")
    return Verdict(reason, f"Page {content_id} is not visible to the sync user", lines)


def _status(connection: ConnectionSettings, record: dict, head: str) -> Verdict | None:
    status = record["status"] or "current"
    if status == "current" or (status == "archived" and "archived" in connection.statuses):
        return None
    why = {"trashed": "it is in the space's trash: deleted content is not synced (restore it in Confluence)",
           "draft": "it is an unpublished draft: only published pages are synced",
           "archived": f"it is archived, and the connection imports statuses {connection.statuses} "
                       "(add archived to `statuses` in km.yaml to import it)"}.get(status, f"its status is {status}")
    return Verdict("status", head, [f"status {status}: {why}"])


def _filters(connection: ConnectionSettings, record: dict, head: str) -> Verdict | None:
    """The first filter that excludes the page, by name, as km.yaml spells it."""
    labels, tree = set(record["labels"]), [*record["ancestor_ids"], record["content_id"]]
    is_page = record["content_type"] == "page"
    found: list[tuple[str, str]] = []
    if record["content_type"] not in connection.content_types:
        found.append(("content_type", f"content_types {connection.content_types} does not include "
                                      f"{record['content_type']}"))
    space = record["space_key"]
    if (connection.spaces.include and space not in connection.spaces.include) or space in connection.spaces.exclude:
        found.append(("filter_space", f"spaces: {space} is not selected (include {connection.spaces.include}, "
                                      f"exclude {connection.spaces.exclude})"))
    if connection.labels.include and not labels & set(connection.labels.include):
        found.append(("filter_label", f"labels.include {connection.labels.include}: the page's labels "
                                      f"{sorted(labels)} have none of them"))
    if labels & set(connection.labels.exclude):
        found.append(("filter_label", f"labels.exclude: the page has label(s) "
                                      f"{sorted(labels & set(connection.labels.exclude))}"))
    if is_page and connection.page_trees.include and not set(tree) & set(connection.page_trees.include):
        found.append(("filter_tree", f"page_trees.include {connection.page_trees.include}: the page is under "
                                     f"none of them (its ancestors: {record['ancestor_ids']})"))
    excluded = [t for t in tree if t in connection.page_trees.exclude]
    if excluded:
        where = "the page itself" if excluded[0] == record["content_id"] else f"its ancestor {excluded[0]}"
        found.append(("filter_tree", f"page_trees.exclude lists {where}"))
    flt = content_filter(connection)
    for name, value, after, before in (("created", record["created_at"], flt.created_after, flt.created_before),
                                       ("modified", record["modified_at"], flt.modified_after, flt.modified_before)):
        if not _in_range(value, after, before):
            found.append(("filter_date", f"{name}_after/{name}_before ({after} .. {before}): it was {name} "
                                         f"{_when(value)}"))
    if not found and flt.content_types and not matches(record, flt):
        found.append(("filtered", f"the connection's filters (CQL) exclude it: {flt}"))
    if not found:
        return None
    return Verdict(found[0][0], head, [f"excluded by a filter: {text}" for _, text in found])


def _in_range(value: datetime | None, after: date | datetime | None, before: date | datetime | None) -> bool:
    """As the CQL filter reads dates: naive, in the site's terms (the listing's own `matches` agrees)."""
    if value is None:
        return after is None and before is None

    def naive(bound: date | datetime) -> datetime:
        return bound if isinstance(bound, datetime) else datetime(bound.year, bound.month, bound.day)

    moment = value.replace(tzinfo=None)
    return (after is None or moment >= naive(after)) and (before is None or moment < naive(before))


def _stored(connection: ConnectionSettings, store: Store, record: dict, head: str, now: datetime) -> Verdict:
    space, cid, live = record["space_key"], record["content_id"], record["version"]
    synced_spaces = set(store.versions()["space_key"].unique().to_list()) | set(store.read("snapshot")["space"].unique())
    if space not in synced_spaces:
        return Verdict("space_not_synced", head, [f"space {space} has not been synced yet: run `km sync "
                                                   f"{connection.name} --space {space}` (or its first sync in Dagster)"])
    versions = store.versions().filter(pl.col("content_id") == cid).sort("version")
    if versions.height == 0 or versions["version"].max() < live:
        window = window_for(record["modified_at"], connection.schedule)
        settles = window.end + timedelta(minutes=connection.sync.lag_minutes)
        key = window.start.strftime("%Y-%m-%d-%H:%M" if connection.schedule == "hourly" else "%Y-%m-%d")
        fetched = (store.folder / "raw_content" / f"space={space}" / f"window={key}").exists()
        when = (f"it settles at {_when(settles)}; the {connection.schedule} schedule fetches it then"
                if settles > now else "it has settled: run `km sync " + connection.name + "` (or the incremental "
                "schedule) to fetch it")
        held = (f"the KM holds version {versions['version'].max()} until then" if versions.height
                else "no version of it is synced yet")
        lines = [f"its last change (version {live}, {_when(record['modified_at'])}) falls in the {connection.schedule} "
                 f"window {key} ({_when(window.start)} .. {_when(window.end)}), "
                 + ("which was fetched without it (the search index may have lagged: "
                    f"`km sync {connection.name} --since {window.start.date()}` fetches it again)" if fetched
                    else f"not synced yet: {when}"), held]
        return Verdict("window_not_synced", head, lines)
    current = store.read("articles_current").filter(pl.col("content_id") == cid)
    if current.height == 0:
        article = store.read("articles").filter(pl.col("content_id") == cid)
        if article.height == 0:
            return Verdict("not_converted", head, [f"version {live} is synced but has no article: the space's "
                                                    f"articles were not rebuilt since (run `km sync {connection.name}`)"])
        return Verdict("not_current", head, ["it has an article but is not in articles_current: the last "
                                             "reconciliation did not list it (run `km sync` to reconcile again)"])
    row = current.row(0, named=True)
    where = (f"article {article_path(row['space_key'], cid)} (version {row['version']}) in "
             f"{store.folder}/articles_current/space={row['space']}/data.parquet, written "
             f"{_when(store.written_at('articles_current', row['space']))}")
    metadata = store.read("article_metadata").filter(pl.col("content_id") == cid)
    archived = metadata.height and bool(metadata["archived"][0])
    problems = []
    if row["fidelity"] is not None and row["fidelity"] < FIDELITY_THRESHOLD:
        macros = ", ".join(row["unhandled_macros"] or []) or "none"
        problems.append(f"the conversion kept {row['fidelity']:.0%} of the visible words (below "
                        f"{FIDELITY_THRESHOLD:.0%}); unhandled macros: {macros}; warnings: "
                        f"{'; '.join(row['warnings'] or []) or 'none'}")
    if archived:
        problems.append("the mapping marks it archived (`km explain-mapping` shows the rule)")
    if problems:
        return Verdict("low_fidelity" if row["fidelity"] < FIDELITY_THRESHOLD else "archived", head,
                       [*problems, f"synced: {where}"])
    return Verdict("synced", head, [f"nothing keeps it out: synced {where}",
                                    f"its version {live} was last modified {_when(record['modified_at'])}"])


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "unknown"

