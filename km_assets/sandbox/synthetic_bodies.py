"""Storage-format bodies for synthetic sites, generated on demand from (seed, content id).

A body is a pure function of the seed, the content id and the frozen facts recorded when the site was
built (titles per space, attachments, users), so a 100,000-page site need not hold its bodies in memory:
`SyntheticBodies.body` regenerates one in well under a millisecond and keeps a small LRU cache.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass
from html import escape

from . import synthetic_words as w

__all__ = ["SpaceFacts", "SyntheticBodies"]

MAX_BODY = 60_000
_EXTENSIONS = {"python": "py", "bash": "sh", "sql": "sql", "json": "json", "yaml": "yaml", "java": "java",
               "javascript": "js", "text": "txt"}


@dataclass(frozen=True)
class SpaceFacts:
    """What bodies may refer to in one space, as it was when the site was generated."""

    key: str
    name: str
    titles: list[str]  # pages by local index; index 0 is the home page
    top_titles: list[str]  # the home page's children
    blog_titles: list[str]
    jira_project: str
    accounts: tuple[str, ...]  # account ids of the owning team, for mentions


class SyntheticBodies:
    """Shared by every SyntheticContent of a site; immutable, so copies of content share it."""

    def __init__(self, seed: int, spaces: list[SpaceFacts], attachments: dict[str, tuple[tuple[str, str], ...]],
                 *, cache_size: int = 256) -> None:
        self.seed = seed
        self.spaces = spaces
        self.attachments = attachments  # content id -> ((filename, media type), ...)
        self.jira_server_id = _uuid(random.Random(f"jira:{seed}"))
        self._cached = functools.lru_cache(maxsize=cache_size)(self._generate)

    def body(self, content_id: str, kind: str, origin: int) -> str:
        """kind is page or blogpost; origin packs the space index and the local index (space << 24 | local)."""
        return self._cached(content_id, kind, origin)

    def __deepcopy__(self, memo: dict) -> SyntheticBodies:
        return self

    def __copy__(self) -> SyntheticBodies:
        return self

    def _generate(self, content_id: str, kind: str, origin: int) -> str:
        rng = random.Random(f"synthetic-body:{self.seed}:{content_id}")
        space_index, local = origin >> 24, origin & 0xFFFFFF
        writer = _Writer(rng, self, space_index, self.attachments.get(content_id, ()))
        if kind == "blogpost":
            return writer.blog_post()
        if local == 0:
            return writer.home_page()
        return writer.page(self.spaces[space_index].titles[local])


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _body_target(rng: random.Random) -> int:
    """Median about 3 KB, a log-normal spread, and a rare long tail up to 60 KB."""
    if rng.random() < 0.004:
        return rng.randint(20_000, MAX_BODY - 5_000)
    return max(400, min(int(rng.lognormvariate(math.log(1800), 0.6)), MAX_BODY - 5_000))


class _Writer:
    def __init__(self, rng: random.Random, bodies: SyntheticBodies, space_index: int,
                 attachments: tuple[tuple[str, str], ...]) -> None:
        self.rng = rng
        self.bodies = bodies
        self.space = bodies.spaces[space_index]
        self.others = bodies.spaces
        self.attachments = attachments
        self.macros = 0
        self.task_id = 0
        self.headings: list[str] = []

    # -- small pieces -----------------------------------------------------------------------------
    def macro(self, name: str, params: dict[str, str] | None = None, *, rich: str | None = None,
              plain: str | None = None) -> str:
        self.macros += 1
        out = [f'<ac:structured-macro ac:name="{name}" ac:schema-version="1" ac:macro-id="{_uuid(self.rng)}">']
        for key, value in (params or {}).items():
            out.append(f'<ac:parameter ac:name="{key}">{escape(value, quote=False)}</ac:parameter>')
        if rich is not None:
            out.append(f"<ac:rich-text-body>{rich}</ac:rich-text-body>")
        if plain is not None:
            out.append(f"<ac:plain-text-body><![CDATA[{plain.replace(']]>', ']] >')}]]></ac:plain-text-body>")
        out.append("</ac:structured-macro>")
        return "".join(out)

    def status(self) -> str:
        colour, title = self.rng.choice(w.STATUSES)
        return self.macro("status", {"colour": colour, "title": title})

    def page_link(self, text: str | None = None) -> str:
        rng = self.rng
        roll = rng.random()
        space_attr = ""
        if roll < 0.04:  # a link whose target was renamed or never written
            title = f"{rng.choice(w.TITLE_SUBJECTS)} {rng.choice(w.TITLE_KINDS)} (old)"
        elif roll < 0.12 and len(self.others) > 1:
            other = rng.choice(self.others)
            title = rng.choice(other.titles)
            if other.key != self.space.key:
                space_attr = f' ri:space-key="{other.key}"'
        else:
            title = rng.choice(self.space.titles)
        body = "" if rng.random() < 0.15 else f"<ac:link-body>{escape(text or title)}</ac:link-body>"
        return f'<ac:link><ri:page{space_attr} ri:content-title="{escape(title)}" />{body}</ac:link>'

    def mention(self) -> str:
        return f'<ac:link><ri:user ri:account-id="{self.rng.choice(self.space.accounts)}" /></ac:link>'

    def jira(self, block: bool = False) -> str:
        project = self.space.jira_project
        params = {"server": "Synthetic Jira", "serverId": self.bodies.jira_server_id}
        if block:
            params |= {"jqlQuery": f'project = {project} AND status != "Done" ORDER BY priority DESC',
                       "columns": "key,summary,type,status,assignee", "maximumIssues": "20"}
        else:
            params["key"] = f"{project}-{self.rng.randint(1, 4000)}"
        return self.macro("jira", params)

    def sentence(self) -> str:
        rng = self.rng
        obj = rng.choice(w.OBJECTS)
        roll = rng.random()
        if roll < 0.06:
            obj = f"<strong>{obj}</strong>"
        elif roll < 0.1:
            obj = f"<em>{obj}</em>"
        elif roll < 0.14:
            obj = f"<code>{rng.choice(w.CODE_NAMES)}</code>"
        text = f"{rng.choice(w.OPENERS)}{rng.choice(w.SUBJECTS)} {rng.choice(w.VERBS)} {obj}{rng.choice(w.TAILS)}"
        text = text[0].upper() + text[1:]
        roll = rng.random()
        if roll < 0.05:
            return f"{text} &mdash; see {self.page_link()}."
        if roll < 0.08:
            return f"{text}; ask {self.mention()} if it&rsquo;s unclear."
        if roll < 0.10:
            return f"{text} ({self.jira()})."
        if roll < 0.12:
            host = rng.choice(w.LINK_HOSTS)
            return f'{text}, as described in <a href="https://{host}/{rng.choice(w.CODE_WORDS)}">the handbook</a>.'
        if roll < 0.13:
            return f'{text} <ac:emoticon ac:name="{rng.choice(("tick", "warning", "smile", "information"))}" />'
        return text + "."

    def paragraph(self, sentences: int | None = None) -> str:
        count = sentences or self.rng.randint(1, 5)
        text = " ".join(self.sentence() for _ in range(count))
        if self.rng.random() < 0.05:
            text = f"Status: {self.status()} {text}"
        return f"<p>{text}</p>"

    # -- blocks -----------------------------------------------------------------------------------
    def listing(self, depth: int = 0) -> str:
        rng = self.rng
        tag = "ol" if rng.random() < 0.35 else "ul"
        items = []
        for _ in range(rng.randint(2, 7)):
            text = self.page_link() if rng.random() < 0.15 else self.sentence()
            inner = f"<p>{text}</p>" if rng.random() < 0.7 else text
            if depth < 2 and rng.random() < 0.12:
                inner += self.listing(depth + 1)
            items.append(f"<li>{inner}</li>")
        return f"<{tag}>{''.join(items)}</{tag}>"

    def table(self) -> str:
        rng = self.rng
        cols, rows = rng.randint(2, 5), rng.randint(2, 10)

        def cell() -> str:
            roll = rng.random()
            if roll < 0.4:
                return rng.choice(w.OBJECTS).capitalize()
            if roll < 0.7:
                return str(rng.randint(1, 999))
            if roll < 0.9:
                return rng.choice(w.TASKS)
            return self.status() if roll < 0.95 else "n/a"

        heads = [rng.choice(w.HEADINGS) for _ in range(cols)]
        lines = ["<tr>" + "".join(f"<th><p>{h}</p></th>" for h in heads) + "</tr>"]
        merge = rng.random()
        span_from, span_rows = (rng.randrange(rows), rng.randint(2, 3)) if merge < 0.2 else (-1, 0)
        for r in range(rows):
            cells = []
            for c in range(cols):
                if c == 0 and span_from >= 0 and span_from < r < span_from + span_rows:
                    continue  # covered by the rowspan above
                attr = f' rowspan="{min(span_rows, rows - r)}"' if c == 0 and r == span_from else ""
                cells.append(f"<td{attr}><p>{cell()}</p></td>")
            if 0.2 <= merge < 0.3 and r == rows // 2 and cols > 2:
                cells[1:3] = [f'<td colspan="2"><p>{cell()}</p></td>']
            lines.append("<tr>" + "".join(cells) + "</tr>")
        if 0.3 <= merge < 0.4:
            lines.append(f'<tr><td colspan="{cols}"><p>{self.sentence()}</p></td></tr>')
        if rng.random() < 0.5:
            widths = "".join(f'<col style="width: {rng.randint(8, 30) * 10}.0px;" />' for _ in range(cols))
            head = f'<table data-layout="default" ac:local-id="{_uuid(rng)}"><colgroup>{widths}</colgroup>'
        else:
            head = "<table>"
        return f"{head}<tbody>{''.join(lines)}</tbody></table>"

    def code(self) -> str:
        rng = self.rng
        language = rng.choice(w.CODE_LANGUAGES)
        text = "".join(rng.choice(w.CODE_SNIPPETS[language]).format(
            name=rng.choice(w.CODE_NAMES), word=rng.choice(w.CODE_WORDS), cls=rng.choice(w.CODE_CLASSES),
            attr=rng.choice(("size", "age", "retries")), num=rng.randint(2, 500)) for _ in range(rng.randint(1, 3)))
        params = {"language": language}
        if rng.random() < 0.4:
            params["title"] = f"{rng.choice(w.CODE_NAMES)}.{_EXTENSIONS[language]}"
        if rng.random() < 0.3:
            params["linenumbers"] = "true"
        return self.macro("code", params, plain=text.rstrip("\n"))

    def panel(self) -> str:
        rng = self.rng
        params = {"title": rng.choice(w.HEADINGS)} if rng.random() < 0.3 else {}
        return self.macro(rng.choice(w.PANEL_MACROS), params, rich=self.paragraph(rng.randint(1, 3)))

    def expand(self) -> str:
        inner = self.paragraph() + (self.listing() if self.rng.random() < 0.4 else self.paragraph())
        return self.macro("expand", {"title": f"{self.rng.choice(w.HEADINGS)} (details)"}, rich=inner)

    def tasks(self) -> str:
        rng = self.rng
        items = []
        for _ in range(rng.randint(2, 6)):
            self.task_id += 1
            state = "complete" if rng.random() < 0.4 else "incomplete"
            body = rng.choice(w.TASKS) + (f" {self.mention()}" if rng.random() < 0.3 else "")
            items.append(f"<ac:task><ac:task-id>{self.task_id}</ac:task-id><ac:task-status>{state}</ac:task-status>"
                         f"<ac:task-body>{body}</ac:task-body></ac:task>")
        return f"<ac:task-list>{''.join(items)}</ac:task-list>"

    def unknown_macro(self) -> str:
        rng = self.rng
        params = {"source": rng.choice(w.CODE_WORDS), "height": str(rng.randint(200, 600))}
        plain = "series: weekly\nrange: 90d" if rng.random() < 0.5 else None
        return self.macro(rng.choice(w.UNKNOWN_MACROS), params, plain=plain)

    def attachment_ref(self, filename: str, media_type: str) -> str:
        rng = self.rng
        name = escape(filename)
        if media_type.startswith("image/"):
            caption = f"<ac:caption><p>{rng.choice(w.OBJECTS).capitalize()}</p></ac:caption>" if rng.random() < 0.4 else ""
            return (f'<p><ac:image ac:align="center" ac:alt="{name}" ac:width="{rng.randint(30, 76) * 10}">'
                    f'<ri:attachment ri:filename="{name}" ri:version-at-save="1" />{caption}</ac:image></p>')
        if rng.random() < 0.5:
            self.macros += 1
            return (f'<ac:structured-macro ac:name="view-file" ac:schema-version="1" ac:macro-id="{_uuid(rng)}">'
                    f'<ac:parameter ac:name="name"><ri:attachment ri:filename="{name}" /></ac:parameter>'
                    "</ac:structured-macro>")
        return (f"<p>The raw data is attached: <ac:link><ri:attachment ri:filename=\"{name}\" />"
                f"<ac:plain-text-link-body><![CDATA[{filename}]]></ac:plain-text-link-body></ac:link>.</p>")

    def block(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.40:
            return self.paragraph()
        if roll < 0.56:
            return self.listing()
        if roll < 0.64:
            return self.table()
        if roll < 0.72:
            return self.code()
        if roll < 0.79:
            return self.panel()
        if roll < 0.83:
            return self.expand()
        if roll < 0.87:
            return self.tasks()
        if roll < 0.89:
            return self.jira(block=True)
        if roll < 0.91:
            return f"<blockquote><p>{self.sentence()}</p></blockquote>"
        if roll < 0.92:
            return self.macro("noformat", plain=f"{rng.choice(w.CODE_NAMES)}: {rng.randint(1, 99)} items\nexit 0")
        if roll < 0.93:
            return self.unknown_macro()
        if roll < 0.94:
            return "<hr />"
        return self.paragraph()

    def heading(self, level: int) -> str:
        if not self.headings:  # deal headings like cards: no repeats until a long page runs out
            self.headings = self.rng.sample(w.HEADINGS, len(w.HEADINGS))
        text = self.headings.pop()
        if self.rng.random() < 0.05:
            anchor = self.macro("anchor", {"": text.lower().replace(" ", "-")})
            return f"<h{level}>{anchor}{text}</h{level}>"
        return f"<h{level}>{text}</h{level}>"

    # -- whole bodies -----------------------------------------------------------------------------
    def page(self, title: str) -> str:
        rng = self.rng
        target = _body_target(rng)
        parts: list[str] = []
        roll = rng.random()
        if roll < 0.12:
            parts.append(self.macro("excerpt", rich=f"<p>{escape(title)}: {self.sentence()}</p>"))
        elif roll < 0.22:
            parts.append(self.macro("toc", {"maxLevel": "3", "style": "none"}))
        elif roll < 0.35:
            parts.append(f"<p>Status: {self.status()} &mdash; owned by {self.mention()}.</p>")
        pending = list(self.attachments)
        size = sum(map(len, parts))
        while size < target:
            level = 3 if parts and rng.random() < 0.25 else 2
            section = [self.heading(level)]
            section += [self.block() for _ in range(rng.randint(1, 4))]
            if pending and rng.random() < 0.6:
                section.append(self.attachment_ref(*pending.pop()))
            size += sum(map(len, section))
            parts += section
        parts += [self.attachment_ref(*att) for att in pending]
        if rng.random() < 0.3:
            parts.append("<h2>Related pages</h2>" + "<ul>" + "".join(
                f"<li>{self.page_link()}</li>" for _ in range(rng.randint(2, 5))) + "</ul>")
        if not self.macros:
            parts.append(self.panel())
        if rng.random() < 0.04 and len(parts) > 3:
            cells = "".join(f"<ac:layout-cell>{p}</ac:layout-cell>" for p in parts[:2])
            rest = "".join(parts[2:])
            return ('<ac:layout><ac:layout-section ac:type="two_equal" ac:breakout-mode="default">'
                    f'{cells}</ac:layout-section><ac:layout-section ac:type="single" ac:breakout-mode="default">'
                    f"<ac:layout-cell>{rest}</ac:layout-cell></ac:layout-section></ac:layout>")
        return "\n".join(parts)

    def home_page(self) -> str:
        rng = self.rng
        space = self.space
        links = "".join(f'<li><p><ac:link><ri:page ri:content-title="{escape(t)}" />'
                        f"<ac:link-body>{escape(t)}</ac:link-body></ac:link></p></li>" for t in space.top_titles[:15])
        parts = [f"<h1>Welcome to {escape(space.name)}</h1>", self.paragraph(3),
                 self.macro("info", rich=f"<p>Questions about this space? Ask {self.mention()}.</p>"),
                 "<h2>Start here</h2>", f"<ul>{links}</ul>" if links else self.paragraph(),
                 "<h2>All pages</h2>", self.macro("children", {"all": "true", "depth": "2"}),
                 "<h2>Recently updated</h2>", self.macro("recently-updated", {"max": "10", "spaces": space.key})]
        if rng.random() < 0.5:
            parts.append(self.macro("contentbylabel", {"cql": f'label = "{rng.choice(w.LABELS[:8])}" '
                                                             f'and space = "{space.key}"'}))
        return "\n".join(parts)

    def blog_post(self) -> str:
        rng = self.rng
        target = _body_target(rng) * 2 // 3
        parts = [self.paragraph(rng.randint(2, 4))]
        pending = list(self.attachments)
        size = len(parts[0])
        while size < target:
            chunk = [self.heading(3) if rng.random() < 0.4 else "", self.block()]
            if pending:
                chunk.append(self.attachment_ref(*pending.pop()))
            size += sum(map(len, chunk))
            parts += [c for c in chunk if c]
        parts += [self.attachment_ref(*att) for att in pending]
        parts.append(f"<p>Thanks to everyone who helped, especially {self.mention()} {self.status()}</p>")
        return "\n".join(parts)
