"""Task lists: GFM task items (`- [ ]` / `- [x]`), nested, with inline content, and inside table cells."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from km_assets.convert import ConversionContext, convert_storage

GFM = MarkdownIt("commonmark").enable(["table", "strikethrough"])
CTX = ConversionContext(site_url="https://acme.atlassian.net/wiki", space_key="ENG",
                        users={"557058:ada": "Ada Lovelace"})


def task(number: int, status: str, body: str) -> str:
    return (f"<ac:task><ac:task-id>{number}</ac:task-id><ac:task-uuid>u-{number}</ac:task-uuid>"
            f"<ac:task-status>{status}</ac:task-status><ac:task-body>{body}</ac:task-body></ac:task>")


def tasks(*items: str) -> str:
    return "<ac:task-list>" + "".join(items) + "</ac:task-list>"


def list_items(markdown: str) -> list[tuple[int, str]]:
    """(nesting depth, first line) of every list item, as a CommonMark parser sees them."""
    out: list[tuple[int, str]] = []
    depth = 0
    expecting = False
    for token in GFM.parse(markdown):
        if token.type == "bullet_list_open":
            depth += 1
        elif token.type == "bullet_list_close":
            depth -= 1
        elif token.type == "list_item_open":
            expecting = True
        elif token.type == "inline" and expecting:
            out.append((depth, token.content))
            expecting = False
    return out


CASES = [
    ("incomplete", tasks(task(1, "incomplete", "Write the runbook")), "- [ ] Write the runbook\n",
     [(1, "[ ] Write the runbook")]),
    ("complete", tasks(task(1, "complete", "Rotate keys")), "- [x] Rotate keys\n", [(1, "[x] Rotate keys")]),
    ("flat-mixed", tasks(task(1, "complete", "Draft"), task(2, "incomplete", "Review"), task(3, "complete", "Ship")),
     "- [x] Draft\n- [ ] Review\n- [x] Ship\n", [(1, "[x] Draft"), (1, "[ ] Review"), (1, "[x] Ship")]),
    # The editor's shape: a nested list follows the task it belongs to, inside the outer list.
    ("nested-sibling",
     tasks(task(1, "incomplete", "Migrate"), tasks(task(2, "complete", "Back up"),
                                                   tasks(task(3, "incomplete", "Verify backup"))),
           task(4, "incomplete", "Announce")),
     "- [ ] Migrate\n  - [x] Back up\n    - [ ] Verify backup\n- [ ] Announce\n",
     [(1, "[ ] Migrate"), (2, "[x] Back up"), (3, "[ ] Verify backup"), (1, "[ ] Announce")]),
    # Older pages put the nested list inside the task's body.
    ("nested-in-body",
     tasks(task(1, "incomplete", "Migrate" + tasks(task(2, "complete", "Back up"))), task(3, "incomplete", "Announce")),
     "- [ ] Migrate\n  - [x] Back up\n- [ ] Announce\n",
     [(1, "[ ] Migrate"), (2, "[x] Back up"), (1, "[ ] Announce")]),
    ("mention-date-formatting",
     tasks(task(1, "incomplete", '<span class="placeholder-inline-tasks"><ac:link><ri:user ri:account-id="557058:ada" />'
                                 "</ac:link> to review <strong>the draft</strong> of "
                                 '<ac:link><ri:page ri:content-title="Release Plan" /></ac:link> by '
                                 '<time datetime="2026-03-01" /></span>')),
     "- [ ] @Ada Lovelace to review **the draft** of "
     "[Release Plan](https://acme.atlassian.net/wiki/display/ENG/Release+Plan) by 2026-03-01\n",
     [(1, "[ ] @Ada Lovelace to review **the draft** of "
          "[Release Plan](https://acme.atlassian.net/wiki/display/ENG/Release+Plan) by 2026-03-01")]),
    ("whitespace-in-body", tasks(task(1, "incomplete", "\n  Call   the\n  vendor \n")), "- [ ] Call the vendor\n",
     [(1, "[ ] Call the vendor")]),
    ("between-paragraphs", "<p>Before</p>" + tasks(task(1, "incomplete", "Do it")) + "<p>After</p>",
     "Before\n\n- [ ] Do it\n\nAfter\n", [(1, "[ ] Do it")]),
    ("in-a-list-item", "<ul><li><p>Phase 1</p>" + tasks(task(1, "complete", "Plan")) + "</li></ul>",
     "- Phase 1\n\n  - [x] Plan\n", [(1, "Phase 1"), (2, "[x] Plan")]),
]


@pytest.mark.parametrize(("body", "expected", "items"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_task_list(body, expected, items):
    out = convert_storage(body, CTX).markdown
    assert out == expected
    assert list_items(out) == items


TABLE = ("<table><tbody><tr><th>Team</th><th>Todo</th></tr><tr><td>Ops</td><td>"
         + tasks(task(1, "incomplete", "Rotate keys"), task(2, "complete", "Patch hosts")) + "</td></tr></tbody></table>")


def test_task_list_in_a_table_cell_is_markdown_inside_html():
    out = convert_storage(TABLE, CTX).markdown
    assert out == ("<table>\n<tr><th>Team</th><th>Todo</th></tr>\n<tr>\n<td>Ops</td>\n<td>\n\n"
                   "- [ ] Rotate keys\n- [x] Patch hosts\n\n</td>\n</tr>\n</table>\n")
    assert list_items(out) == [(1, "[ ] Rotate keys"), (1, "[x] Patch hosts")]


def test_task_list_in_a_table_cell_with_repeat_is_one_line():
    out = convert_storage(TABLE, ConversionContext(tables="repeat")).markdown
    assert out == "| Team | Todo |\n| --- | --- |\n| Ops | - [ ] Rotate keys<br>- [x] Patch hosts |\n"
    assert [t.type for t in GFM.parse(out)].count("td_open") == 2


def test_task_bookkeeping_is_not_content():
    result = convert_storage(tasks(task(7, "complete", "Done")), CTX)
    assert "7" not in result.markdown and "u-7" not in result.markdown
    assert result.fidelity == 1.0
