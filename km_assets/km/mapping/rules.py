"""Conditional rules: `when` as a boolean expression, and which rule applies to each item.

Labels match the item's Confluence labels as listed (ignoring case), before any label transform, so
a rule reads the way an author sees the page. Patterns are searched (not anchored): use ^ and $.
"""

from __future__ import annotations

import polars as pl

from ...config_mapping import MappingSettings, Rule, RuleCondition
from .properties import prop
from .transforms import kind_of

__all__ = ["applied_rules", "condition", "rule_columns"]


def condition(when: RuleCondition) -> pl.Expr:
    parts: list[pl.Expr] = []
    if when.label:
        wanted = [label.lower() for label in when.label]
        parts.append(prop("raw_labels").list.eval(pl.element().str.to_lowercase().is_in(wanted)).list.any())
    if when.space:
        parts.append(pl.col("space_key").is_in(when.space))
    if when.title:
        parts.append(pl.col("title").str.contains(when.title))
    if when.ancestor:
        parts.append(prop("ancestor_titles").list.eval(pl.element().str.contains(when.ancestor)).list.any())
    for name, pattern in when.properties.items():
        parts.append(_text(name).str.contains(pattern))
    combined = pl.all_horizontal(parts)
    return combined.fill_null(False)


def _text(name: str) -> pl.Expr:
    """A property as text to search: lists one entry per line (so ^ and $ work with (?m)), times in ISO."""
    kind = kind_of(name)
    if kind == "list":
        return prop(name).list.join("\n")
    if kind == "datetime":
        return prop(name).dt.to_string("%Y-%m-%dT%H:%M:%S%:z")
    if kind == "integer":
        return prop(name).cast(pl.String)
    return prop(name)


def rule_columns(settings: MappingSettings) -> list[pl.Expr]:
    """`__r:<position>`: whether each rule's condition holds, computed once per rule."""
    return [condition(rule.when).alias(f"__r:{i}") for i, rule in enumerate(settings.rules)]


def applied_rules(settings: MappingSettings) -> list[tuple[int, Rule, pl.Expr]]:
    """(position, rule, applies) in order, over the `rule_columns`. `first`: a rule applies only when
    no earlier rule matched; `all`: every matching rule applies (later ones overwrite what earlier set)."""
    out = []
    for position, rule in enumerate(settings.rules):
        matched = pl.col(f"__r:{position}")
        if settings.match == "first" and position:
            matched = matched & ~pl.any_horizontal([pl.col(f"__r:{i}") for i in range(position)])
        out.append((position, rule, matched))
    return out
