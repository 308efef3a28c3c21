"""First-cut conversion: exact input -> output pairs for the constructs the walking skeleton handles."""

from __future__ import annotations

import re

from km_assets.convert import ConversionContext, convert_storage

CTX = ConversionContext(site_url="https://acme.atlassian.net/wiki", space_key="ENG", page_id="42")


def md(body: str) -> str:
    return convert_storage(body, CTX).markdown


def test_code_macro_keeps_language_and_body_byte_for_byte():
    body = ('<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">python</ac:parameter>'
            '<ac:plain-text-body><![CDATA[if a < b and c & d:\n    print("*x*_y_")]]></ac:plain-text-body>'
            '</ac:structured-macro>')
    assert md(body) == '```python\nif a < b and c & d:\n    print("*x*_y_")\n```\n'


def test_info_macro_is_a_gfm_alert():
    body = '<ac:structured-macro ac:name="info"><ac:rich-text-body><p>Read me.</p></ac:rich-text-body></ac:structured-macro>'
    assert md(body) == "> [!NOTE]\n> Read me.\n"


def test_page_link_points_at_the_confluence_page():
    body = '<p>See <ac:link><ri:page ri:content-title="Deploy Runbook" /><ac:plain-text-link-body><![CDATA[the runbook]]></ac:plain-text-link-body></ac:link>.</p>'
    assert md(body) == "See [the runbook](https://acme.atlassian.net/wiki/display/ENG/Deploy+Runbook).\n"


def test_attachment_image():
    result = convert_storage('<ac:image ac:alt="flow"><ri:attachment ri:filename="flow.png" /></ac:image>', CTX)
    assert result.markdown == "![flow](https://acme.atlassian.net/wiki/download/attachments/42/flow.png)\n"
    assert result.attachments == ["flow.png"]


def test_task_list():
    body = ('<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>complete</ac:task-status>'
            '<ac:task-body>Ship it</ac:task-body></ac:task><ac:task><ac:task-id>2</ac:task-id>'
            '<ac:task-status>incomplete</ac:task-status><ac:task-body>Tell <strong>ops</strong></ac:task-body>'
            '</ac:task></ac:task-list>')
    assert md(body) == "- [x] Ship it\n- [ ] Tell **ops**\n"


def test_unknown_macro_is_a_visible_counted_placeholder():
    # drawio is handled now (a [diagram: name] placeholder, tests/convert/test_diagrams.py): any unknown name.
    result = convert_storage('<ac:structured-macro ac:name="roadmap"><ac:parameter ac:name="title">'
                             'x</ac:parameter></ac:structured-macro>', CTX)
    assert result.markdown == "> [unsupported Confluence macro: roadmap]\n"
    assert result.unhandled_macros == {"roadmap": 1}


def test_entities_and_headings():
    assert md("<h2>Ops&nbsp;&mdash; rota</h2><p>it&rsquo;s</p>") == "## Ops\u00a0\u2014 rota\n\nit\u2019s\n"


def test_demo_site_bodies_convert_without_markup_leaks():
    from km_assets.sandbox import load_demo_site

    for content in load_demo_site().content.values():
        out = convert_storage(content.body, CTX).markdown
        assert not re.search(r"</?(ac|ri|at):", out), content.title
        assert content.title  # every demo item has a title
