"""The subset of CQL the sandbox answers, written apart from the client's CQL builder on purpose.

Grammar: expr := term (("and"|"or") term)*, with "and" binding tighter; term := "not" term | "(" expr ")"
| field op value; op in = != ~ !~ > >= < <= in, not in; a trailing "order by field [asc|desc]".
Dates are read at minute precision in the site's time zone, like Confluence's search.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from .site import Content, Site

__all__ = ["CqlError", "CqlQuery", "parse_cql"]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|!~|>=|<=|=|~|>|<|\(|\)|,)
      | (?P<word>[A-Za-z0-9_.:\-/+~]+)
    )""",
    re.VERBOSE,
)
_FIELDS = {"space", "space.key", "type", "label", "ancestor", "parent", "id", "content", "title", "text",
           "created", "lastmodified", "creator", "contributor"}
_DATE_FIELDS = {"created", "lastmodified"}
_ORDER_FIELDS = {"lastmodified", "created", "title", "id"}
_TYPES = ("space", "user", "page", "blogpost", "comment", "attachment")

Predicate = Callable[[Content], bool]


class CqlError(ValueError):
    """Invalid CQL; the message mimics Confluence's 400 answer."""


@dataclass
class CqlQuery:
    predicate: Predicate
    order_field: str | None
    descending: bool

    def run(self, items: list[Content]) -> list[Content]:
        matched = [c for c in items if self.predicate(c)]
        if self.order_field:
            matched.sort(key=lambda c: _sort_key(c, self.order_field), reverse=self.descending)
        return matched


def _sort_key(content: Content, order_field: str) -> tuple:
    if order_field == "lastmodified":
        return (content.modified, int(content.id))
    if order_field == "created":
        return (content.created, int(content.id))
    if order_field == "title":
        return (content.title.lower(), int(content.id))
    return (int(content.id),)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise CqlError(f"Could not parse cql : {text} (unexpected character at {pos})")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out.append((kind, value))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str, site: Site, tz: tzinfo) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0
        self.site = site
        self.tz = tz

    def error(self, why: str) -> CqlError:
        return CqlError(f"Could not parse cql : {self.text} ({why})")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end of query")
        self.pos += 1
        return token

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "word" and token[1].lower() in words

    def parse(self) -> CqlQuery:
        predicate: Predicate = lambda c: True  # noqa: E731 - an empty query matches everything
        if self.peek() is not None and not self.at_word("order"):
            predicate = self.expr()
        order_field, descending = None, False
        if self.at_word("order"):
            self.take()
            if not self.at_word("by"):
                raise self.error("expected 'by' after 'order'")
            self.take()
            order_field = self.take()[1].lower()
            if order_field not in _ORDER_FIELDS:
                raise self.error(f"cannot order by {order_field}")
            if self.at_word("asc", "desc"):
                descending = self.take()[1].lower() == "desc"
        if self.peek() is not None:
            raise self.error(f"unexpected {self.peek()[1]!r}")
        return CqlQuery(predicate, order_field, descending)

    def expr(self) -> Predicate:
        terms = [self.conjunction()]
        while self.at_word("or"):
            self.take()
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else (lambda c: any(t(c) for t in terms))

    def conjunction(self) -> Predicate:
        terms = [self.term()]
        while self.at_word("and"):
            self.take()
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else (lambda c: all(t(c) for t in terms))

    def term(self) -> Predicate:
        if self.at_word("not"):
            self.take()
            inner = self.term()
            return lambda c: not inner(c)
        token = self.peek()
        if token == ("op", "("):
            self.take()
            inner = self.expr()
            if self.take() != ("op", ")"):
                raise self.error("expected ')'")
            return inner
        return self.clause()

    def value(self) -> str:
        kind, value = self.take()
        if kind == "op":
            raise self.error(f"expected a value, found {value!r}")
        return value

    def values(self) -> list[str]:
        if self.take() != ("op", "("):
            raise self.error("expected '(' after in")
        values = [self.value()]
        while self.peek() == ("op", ","):
            self.take()
            values.append(self.value())
        if self.take() != ("op", ")"):
            raise self.error("expected ')' to close the list")
        return values

    def clause(self) -> Predicate:
        kind, name = self.take()
        name = name.lower()
        if kind != "word" or name not in _FIELDS:
            raise self.error(f"unknown field {name!r}")
        if self.at_word("in"):
            self.take()
            return self.field_matches(name, self.values(), negate=False)
        if self.at_word("not"):
            self.take()
            if not self.at_word("in"):
                raise self.error("expected 'in' after 'not'")
            self.take()
            return self.field_matches(name, self.values(), negate=True)
        op_kind, op = self.take()
        if op_kind != "op" or op in "(),":
            raise self.error(f"expected an operator after {name}")
        value = self.value()
        if name in _DATE_FIELDS:
            return self.date_compare(name, op, value)
        if op in ("=", "!="):
            return self.field_matches(name, [value], negate=op == "!=")
        if op in ("~", "!~"):
            needle = value.lower().strip("*")
            contains = (lambda c: needle in c.title.lower()) if name == "title" else (
                lambda c: needle in c.title.lower() or needle in c.body.lower())
            return (lambda c: not contains(c)) if op == "!~" else contains
        raise self.error(f"operator {op} is not supported for {name}")

    def field_matches(self, name: str, values: list[str], negate: bool) -> Predicate:
        wanted = set(values)
        if name == "type" and not wanted <= set(_TYPES):
            # Confluence refuses an unknown content type rather than matching nothing (demisto recording).
            raise CqlError("com.atlassian.confluence.api.service.exceptions.BadRequestException: Unsupported "
                           f"value for type, got : {sorted(wanted - set(_TYPES))[0]}, expected one of : "
                           f"[{', '.join(_TYPES)}]")
        lowered = {v.lower() for v in values}
        site = self.site

        def hit(c: Content) -> bool:
            if name in ("space", "space.key"):
                return c.space in wanted
            if name == "type":
                return c.type in wanted
            if name == "label":
                return any(label.lower() in lowered for label in c.labels)
            if name in ("id", "content"):
                return c.id in wanted
            if name == "title":
                return c.title.lower() in lowered
            if name == "parent":
                return c.parent in wanted
            if name == "ancestor":
                return any(a.id in wanted for a in site.ancestors(c))
            if name == "creator":
                creator = site.users.get(c.creator)
                return c.creator in wanted or (creator is not None and creator.account_id in wanted)
            if name == "contributor":
                return any(v.by in wanted for v in c.versions)
            return False

        return (lambda c: not hit(c)) if negate else hit

    def date_compare(self, name: str, op: str, value: str) -> Predicate:
        bound = self.parse_date(value)
        compare = {
            "=": lambda a: a == bound, "!=": lambda a: a != bound, ">": lambda a: a > bound,
            ">=": lambda a: a >= bound, "<": lambda a: a < bound, "<=": lambda a: a <= bound,
        }.get(op)
        if compare is None:
            raise self.error(f"operator {op} is not supported for {name}")
        tz = self.tz

        def minute(c: Content) -> datetime:
            at = c.created if name == "created" else c.modified
            return at.astimezone(tz).replace(second=0, microsecond=0, tzinfo=None)

        return lambda c: compare(minute(c))

    def parse_date(self, value: str) -> datetime:
        for fmt in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
            try:
                return datetime.strptime(value, fmt)
            except ValueError:
                continue
        raise self.error(f"invalid date {value!r}; use \"yyyy-MM-dd HH:mm\" or \"yyyy-MM-dd\"")


def parse_cql(text: str, site: Site, tz: tzinfo) -> CqlQuery:
    return _Parser(text, site, tz).parse()
