"""The `mapping:` section of a connection in km.yaml: how Confluence properties become KM fields.

The default reproduces the seed's table (Title -> Article Title, Creator -> Author, Last Modified Date ->
Last Updated, Labels -> Tags, Space -> Category). Everything else is optional:

    mapping:
      fields:            # added to the defaults; an entry named like a default replaces it
        - {name: Severity, source: "page_property:Severity", type: string, default: unknown}
      labels: {lowercase: true, strip_prefixes: [kb-], synonyms: {howto: how-to}, drop: [draft]}
      category: {from: [label_prefix, space_map, space], label_prefix: "cat-", space_map: {OPS: Operations}}
      dates: {time_zone: Europe/Amsterdam, format: "%Y-%m-%d"}
      archiving: {confluence_archived: true, older_than_days: 730}
      match: first       # or all: every matching rule applies, later ones overwrite earlier ones
      rules:
        - name: runbooks
          when: {label: [runbook], space: [OPS], title: "(?i)runbook", ancestor: "^Runbooks$"}
          set: {Category: Runbooks}

Rule labels match the Confluence labels as listed, ignoring case and before label transforms; title,
ancestor and property patterns are searched, not anchored. Every problem is found when km.yaml loads, with the rule's position (from pydantic's location, e.g.
`mapping.rules.2`), its name and the reason, so nothing is synced with a half-valid configuration.
Regular expressions are evaluated by polars (Rust's regex crate), so Python-only syntax (look-around,
back-references) is refused here rather than failing mid-run.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "DEFAULT_FIELDS", "PAGE_PROPERTY", "PROPERTIES", "ArchivingSettings", "CategorySettings", "DateSettings",
    "FieldMapping", "LabelSettings", "MappingSettings", "Rule", "RuleCondition", "property_kind",
]

# Confluence properties a field or a rule may name, and what kind of value each is.
PROPERTIES: dict[str, str] = {
    "content_id": "string", "title": "string", "content_type": "string", "status": "string", "url": "string",
    "creator": "string", "creator_id": "string", "creator_email": "string", "created_date": "datetime",
    "last_modifier": "string", "last_modifier_id": "string", "last_modifier_email": "string",
    "last_modified_date": "datetime", "version": "integer", "labels": "list",
    "space": "string", "space_key": "string", "space_name": "string",
    "ancestor_titles": "list", "ancestor_path": "string", "parent_title": "string",
    "category": "string",  # derived by the `category:` settings (the space's name by default)
}
PAGE_PROPERTY = "page_property:"  # page_property:<Key>: a row of the page's `details` macro (a string)

FieldType = Literal["string", "integer", "boolean", "date", "datetime", "list"]
# Which field types a property of each kind can become; strings are parsed (page properties are text).
_CONVERTIBLE: dict[str, set[str]] = {
    "string": {"string", "integer", "boolean", "date", "datetime", "list"},
    "integer": {"integer", "string"},
    "datetime": {"datetime", "date", "string"},
    "list": {"list", "string"},
}
_UNSUPPORTED_REGEX = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?P=")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def property_kind(name: str) -> str | None:
    """The kind of a property name, or None when no such property exists."""
    if name.startswith(PAGE_PROPERTY):
        return "string" if name[len(PAGE_PROPERTY):].strip() else None
    return PROPERTIES.get(name)


def _known_properties() -> str:
    return ", ".join([*PROPERTIES, f"{PAGE_PROPERTY}<key>"])


def check_regex(pattern: str, what: str) -> str:
    try:
        re.compile(pattern)
    except re.error as err:
        raise ValueError(f"{what} {pattern!r} is not a valid regular expression: {err}") from None
    if _UNSUPPORTED_REGEX.search(pattern):
        raise ValueError(f"{what} {pattern!r} uses look-around or a back-reference, which the mapping's "
                         "regex engine (Rust regex) does not support")
    return pattern


def check_value(value: Any, field_type: str, what: str) -> None:
    """A literal (a default, or a value a rule sets) must fit the field's type."""
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "date": isinstance(value, date) and not isinstance(value, datetime) or _parses(value, date),
        "datetime": isinstance(value, datetime) or _parses(value, datetime),
        "list": isinstance(value, list) and all(isinstance(v, str) for v in value),
    }[field_type]
    if not ok:
        raise ValueError(f"{what} {value!r} is not a valid {field_type}")


def _parses(value: Any, kind: type) -> bool:
    if not isinstance(value, str):
        return False
    try:
        kind.fromisoformat(value)  # type: ignore[attr-defined]
    except ValueError:
        return False
    return True


class FieldMapping(_Strict):
    """One KM field: where its value comes from (a property; none if only rules and defaults set it)."""

    name: str = Field(min_length=1)
    source: str | None = None
    type: FieldType = "string"
    default: Any = None  # used when the value is missing (null, empty string or empty list)
    # strftime format: how a date becomes text (type string), or how a page property's text is read as
    # a date (type date or datetime); ISO 8601 when not given
    format: str | None = None
    time_zone: str | None = None  # overrides dates.time_zone for this field

    @model_validator(mode="after")
    def _source_fits(self) -> FieldMapping:
        where = f"field {self.name!r}"
        if self.name in _RESERVED:
            raise ValueError(f"{where}: the name is reserved for a fixed column ({', '.join(sorted(_RESERVED))})")
        if self.source is not None:
            kind = property_kind(self.source)
            if kind is None:
                raise ValueError(f"{where}: unknown property {self.source!r} (known: {_known_properties()})")
            if self.type not in _CONVERTIBLE[kind]:
                raise ValueError(f"{where}: property {self.source!r} is a {kind} and cannot become a {self.type} "
                                 f"(possible: {', '.join(sorted(_CONVERTIBLE[kind]))})")
        if self.default is not None:
            check_value(self.default, self.type, f"{where}: default")
        if self.time_zone is not None:
            check_time_zone(self.time_zone)
        return self


_RESERVED = {"content_id", "version", "space_key", "archived", "lineage"}


def check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin)") from None
    return name


DEFAULT_FIELDS: tuple[FieldMapping, ...] = (
    FieldMapping(name="Article Title", source="title"),
    FieldMapping(name="Author", source="creator"),
    FieldMapping(name="Last Updated", source="last_modified_date", type="datetime"),
    FieldMapping(name="Tags", source="labels", type="list"),
    FieldMapping(name="Category", source="category"),
)


class LabelSettings(_Strict):
    """Applied, in this order, to the `labels` property wherever it is used (Tags by default)."""

    lowercase: bool = False
    strip_prefixes: list[str] = Field(default_factory=list)
    synonyms: dict[str, str] = Field(default_factory=dict)  # after lowercasing and stripping
    drop: list[str] = Field(default_factory=list)


class CategorySettings(_Strict):
    """The `category` property: the first source in `from` that has a value for the item."""

    from_: list[Literal["space_map", "ancestors", "label_prefix", "space"]] = Field(
        default_factory=lambda: ["space"], alias="from")
    space_map: dict[str, str] = Field(default_factory=dict)  # space key -> category
    ancestor_level: int = Field(default=1, ge=0)  # 0: the root page (often the space home), 1: below it
    label_prefix: str | None = None  # "cat-" makes label cat-network the category "network"

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("from_", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _sources_configured(self) -> CategorySettings:
        if "label_prefix" in self.from_ and not self.label_prefix:
            raise ValueError("category from label_prefix needs `label_prefix` set")
        if "space_map" in self.from_ and not self.space_map:
            raise ValueError("category from space_map needs a non-empty `space_map`")
        return self


class DateSettings(_Strict):
    time_zone: str = "UTC"
    format: str | None = None  # strftime, for date fields typed string

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_time_zone(value)


class ArchivingSettings(_Strict):
    """Which items get `archived = true`, so the KM side can hide or demote them."""

    confluence_archived: bool = True  # status archived in Confluence
    older_than_days: int | None = Field(default=None, ge=1)  # not modified for this long


class RuleCondition(_Strict):
    """All given conditions must hold. Lists match when any entry does."""

    label: list[str] = Field(default_factory=list)  # the item has one of these Confluence labels (any case)
    space: list[str] = Field(default_factory=list)  # space keys
    title: str | None = None  # regex searched in the title
    ancestor: str | None = None  # regex searched in each ancestor's title
    properties: dict[str, str] = Field(default_factory=dict)  # property -> regex searched in its text

    @field_validator("label", "space", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Rule(_Strict):
    name: str | None = None
    when: RuleCondition
    set: dict[str, Any] = Field(min_length=1)  # KM field (or `archived`) -> value

    @model_validator(mode="after")
    def _valid(self) -> Rule:
        where = f"rule {self.name!r}" if self.name else "rule"
        when = self.when
        if not (when.label or when.space or when.title or when.ancestor or when.properties):
            raise ValueError(f"{where}: `when` has no condition (use label, space, title, ancestor or properties)")
        for key in ("title", "ancestor"):
            if getattr(when, key) is not None:
                check_regex(getattr(when, key), f"{where}: {key} pattern")
        for prop, pattern in when.properties.items():
            if property_kind(prop) is None:
                raise ValueError(f"{where}: unknown property {prop!r} (known: {_known_properties()})")
            check_regex(pattern, f"{where}: pattern for {prop}")
        return self

    def label_for(self, position: int) -> str:
        return f"rules.{position}" + (f" ({self.name})" if self.name else "")


class MappingSettings(_Strict):
    fields: list[FieldMapping] = Field(default_factory=list)
    default_fields: bool = True  # false: only `fields` (the seed's table is not added)
    labels: LabelSettings = Field(default_factory=LabelSettings)
    category: CategorySettings = Field(default_factory=CategorySettings)
    dates: DateSettings = Field(default_factory=DateSettings)
    archiving: ArchivingSettings = Field(default_factory=ArchivingSettings)
    match: Literal["first", "all"] = "first"
    rules: list[Rule] = Field(default_factory=list)

    @property
    def effective_fields(self) -> list[FieldMapping]:
        """The defaults (unless turned off) with same-named entries replaced, then the new fields."""
        mine = {f.name: f for f in self.fields}
        base = [mine.pop(f.name, f) for f in DEFAULT_FIELDS] if self.default_fields else []
        return base + [f for f in self.fields if f.name in mine]

    @model_validator(mode="after")
    def _rules_set_known_fields(self) -> MappingSettings:
        names = [f.name for f in self.fields]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"fields: {', '.join(map(repr, duplicates))} declared twice")
        types = {f.name: f.type for f in self.effective_fields} | {"archived": "boolean"}
        for position, rule in enumerate(self.rules):
            where = rule.label_for(position)
            for name, value in rule.set.items():
                if name not in types:
                    raise ValueError(f"{where}: sets {name!r}, which is not a field "
                                     f"(fields: {', '.join(types)})")
                check_value(value, types[name], f"{where}: value for {name!r}")
        return self
