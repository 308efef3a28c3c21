from __future__ import annotations

from pathlib import Path

import pytest

from km_assets.config import ConfigError, load_config

MINIMAL = """
connections:
  - name: eng
    url: https://example.atlassian.net/wiki/
    auth: {username: me@example.com, api_token_env: ENG_TOKEN}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "km.yaml"
    path.write_text(text)
    return path


def test_defaults_and_url_normalised(tmp_path):
    config = load_config(write(tmp_path, MINIMAL), environ={})
    conn = config.connection("eng")
    assert conn.url == "https://example.atlassian.net/wiki"
    assert conn.content_types == ["page", "blogpost", "attachment"]
    assert config.storage.root == "./data"


def test_secret_comes_from_the_named_environment_variable(tmp_path):
    conn = load_config(write(tmp_path, MINIMAL), environ={}).connection("eng")
    assert conn.secret({"ENG_TOKEN": "s3cret"}) == "s3cret"
    with pytest.raises(ConfigError, match="ENG_TOKEN is not set"):
        conn.secret({})


def test_unknown_key_is_named(tmp_path):
    text = MINIMAL + "    spacez: {include: [ENG]}\n"
    with pytest.raises(ConfigError, match=r"connections\.0\.spacez: Extra inputs"):
        load_config(write(tmp_path, text), environ={})


def test_bad_url_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"connections\.0\.url: .*http:// or https://"):
        load_config(write(tmp_path, MINIMAL.replace("https://example", "example")), environ={})


def test_env_reference_with_default_and_missing(tmp_path):
    text = MINIMAL.replace("https://example.atlassian.net/wiki/", "${SITE:-http://127.0.0.1:1/wiki}")
    assert load_config(write(tmp_path, text), environ={}).connection("eng").url == "http://127.0.0.1:1/wiki"
    assert load_config(write(tmp_path, text), environ={"SITE": "https://x.example"}).connections[0].url == \
        "https://x.example"
    strict = MINIMAL.replace("https://example.atlassian.net/wiki/", "${SITE}")
    with pytest.raises(ConfigError, match=r"connections\[0\]\.url: environment variable SITE is not set"):
        load_config(write(tmp_path, strict), environ={})


def test_invalid_yaml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "connections: [\n"), environ={})
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.yaml", environ={})


def test_duplicate_connection_names_rejected(tmp_path):
    text = MINIMAL + MINIMAL.split("connections:\n", 1)[1]
    with pytest.raises(ConfigError, match="used twice"):
        load_config(write(tmp_path, text), environ={})


def test_repository_km_yaml_loads(tmp_path):
    config = load_config(Path(__file__).resolve().parents[1] / "km.yaml", environ={})
    assert config.connection("demo").auth.api_token_env == "KM_DEMO_TOKEN"


def test_the_readme_example_is_a_valid_configuration(tmp_path):
    """A README example that does not load is a bug."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("## Configuration", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    config = load_config(write(tmp_path, block), environ={})
    conn = config.connection("engineering")
    assert conn.sync.time_zone == "Europe/Berlin" and conn.transform.macros == {"roadmap": "drop"}
    assert conn.labels.exclude == ["draft"] and conn.rate_limit.max_concurrency == 4
    assert [rule.name for rule in conn.mapping.rules] == ["runbooks", "retired"]
    assert conn.permissions.group_roles == {"confluence-users": "employee", "hr": "hr-staff"}
