"""Page properties from the `details` macro: both table layouts, and values that keep their meaning."""

from __future__ import annotations

from km_assets.convert.page_properties import page_properties
from km_assets.sandbox.site import load_demo_site


def test_the_demo_postmortem_gives_its_properties():
    body = load_demo_site().content["65607"].body
    assert page_properties(body) == {
        "Date": "2026-01-14", "Site": "Rotterdam-01", "Severity": "SEV-2",
        "Incident lead": "557058:3f9c2e1a-7b4d-4e8f-9a1c-2d5e6f7a8b9c", "Duration": "1 h 42 min"}


def test_horizontal_layout_pairs_the_header_row_with_the_first_value_row():
    body = ('<ac:structured-macro ac:name="details"><ac:rich-text-body><table><tbody>'
            "<tr><th>Owner</th><th>Status</th></tr><tr><td>Ann</td><td>Draft</td></tr>"
            "<tr><td>ignored</td><td>ignored</td></tr></tbody></table></ac:rich-text-body></ac:structured-macro>")
    assert page_properties(body) == {"Owner": "Ann", "Status": "Draft"}


def test_the_first_macro_naming_a_key_wins_and_pages_without_one_give_nothing():
    macro = ('<ac:structured-macro ac:name="details"><ac:rich-text-body><table><tbody>'
             "<tr><th>Owner</th><td>{}</td></tr></tbody></table></ac:rich-text-body></ac:structured-macro>")
    assert page_properties(macro.format("Ann") + macro.format("Bo")) == {"Owner": "Ann"}
    assert page_properties("<p>details matter</p>") == {}
    assert page_properties(None) == {}
