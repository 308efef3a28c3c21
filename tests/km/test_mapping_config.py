"""km.yaml `mapping:` validation: a bad rule fails the whole load, naming the rule's position, name and reason."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import write_km_yaml

from km_assets.config import ConfigError, load_config
from km_assets.config_mapping import MappingSettings
from km_assets.km.mapping import metadata_schema

URL = "https://acme.atlassian.net/wiki"


def load(tmp_path, mapping: str):
    return load_config(write_km_yaml(tmp_path, URL, "    mapping:\n" + mapping), environ={})


FULL = """\
      fields:
        - {name: Severity, source: "page_property:Severity", default: unknown}
        - {name: Version, source: version, type: integer}
        - {name: Created, source: created_date, type: date}
      labels: {lowercase: true, strip_prefixes: [kb-], synonyms: {howto: how-to}, drop: [draft]}
      category: {from: [label_prefix, space_map, ancestors, space], label_prefix: "cat-", space_map: {OPS: Ops}}
      dates: {time_zone: Europe/Amsterdam, format: "%d.%m.%Y"}
      archiving: {confluence_archived: true, older_than_days: 730}
      match: all
      rules:
        - name: runbooks
          when: {label: runbook, space: [OPS], title: "(?i)runbook", ancestor: "^Runbooks$"}
          set: {Category: Runbooks, archived: false}
"""


def test_a_configuration_with_every_kind_of_rule_loads_and_gives_its_schema(tmp_path):
    mapping = load(tmp_path, FULL).connection("demo").mapping
    assert [f.name for f in mapping.effective_fields] == [
        "Article Title", "Author", "Last Updated", "Tags", "Category", "Severity", "Version", "Created"]
    schema = metadata_schema(mapping)
    assert list(schema)[:5] == ["content_id", "version", "space_key", "archived", "lineage"]
    assert (schema["Last Updated"], schema["Version"], schema["Created"]) == (
        pl.Datetime("us", "Europe/Amsterdam"), pl.Int64, pl.Date)


def test_no_mapping_section_gives_the_seed_table():
    schema = metadata_schema(MappingSettings())
    assert list(schema)[5:] == ["Article Title", "Author", "Last Updated", "Tags", "Category"]


def test_unknown_property_in_a_field_names_the_field_and_the_property(tmp_path):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, "      fields:\n        - {name: Owner, source: owner}\n")
    assert "connections.0.mapping.fields.0: Value error, field 'Owner': unknown property 'owner'" in str(err.value)
    assert "page_property:<key>" in str(err.value)  # the message lists what exists


def test_unknown_property_in_a_rule_names_the_rule(tmp_path):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, """\
      rules:
        - {name: ok, when: {space: OPS}, set: {Category: Ops}}
        - {name: by-owner, when: {properties: {owner: alice}}, set: {Category: Alice}}
""")
    assert "connections.0.mapping.rules.1: Value error, rule 'by-owner': unknown property 'owner'" in str(err.value)


def test_invalid_regex_names_the_rule_and_the_error(tmp_path):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, """\
      rules:
        - {name: ok, when: {space: OPS}, set: {Category: Ops}}
        - {name: ok2, when: {space: ENG}, set: {Category: Eng}}
        - {name: broken, when: {title: "(runbook"}, set: {Category: Runbooks}}
""")
    message = str(err.value)
    assert "connections.0.mapping.rules.2: Value error, rule 'broken': title pattern '(runbook' is not a valid " \
           "regular expression: missing ), unterminated subpattern" in message


def test_regex_the_engine_cannot_run_is_refused_at_load(tmp_path):
    with pytest.raises(ConfigError, match=r"rules\.0: .*rule 'lookahead': ancestor pattern .* look-around"):
        load(tmp_path, """\
      rules:
        - {name: lookahead, when: {ancestor: "^(?!Archive)"}, set: {Category: Live}}
""")


def test_wrong_type_for_a_property_names_the_field_and_what_is_possible(tmp_path):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, "      fields:\n        - {name: Tags, source: labels, type: date}\n")
    assert ("connections.0.mapping.fields.0: Value error, field 'Tags': property 'labels' is a list and cannot "
            "become a date (possible: list, string)") in str(err.value)


def test_wrong_type_of_a_value_a_rule_sets_names_the_rule(tmp_path):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, """\
      fields:
        - {name: Version, source: version, type: integer}
      rules:
        - {name: pin, when: {space: OPS}, set: {Version: "two"}}
""")
    assert "connections.0.mapping: Value error, rules.0 (pin): value for 'Version' 'two' is not a valid integer" \
        in str(err.value)


def test_a_rule_setting_a_field_that_does_not_exist_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"rules\.0 \(x\): sets 'Team', which is not a field"):
        load(tmp_path, "      rules:\n        - {name: x, when: {space: OPS}, set: {Team: Ops}}\n")


def test_unknown_time_zone_and_unknown_keys_are_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"mapping\.dates\.time_zone: Value error, unknown time zone 'Mars/Base'"):
        load(tmp_path, "      dates: {time_zone: Mars/Base}\n")
    with pytest.raises(ConfigError, match=r"mapping\.rules\.0\.when\.labels: Extra inputs are not permitted"):
        load(tmp_path, "      rules:\n        - {when: {labels: [x]}, set: {Category: X}}\n")
