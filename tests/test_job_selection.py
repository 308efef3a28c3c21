"""Which assets each job materializes, per connection."""

from __future__ import annotations

from conftest import write_km_yaml

from km_assets.config import load_config
from km_assets.defs.build import build_definitions


def _assets_of(tmp_path, extra: str, job: str) -> set[str]:
    config = load_config(write_km_yaml(tmp_path, "http://127.0.0.1:1/wiki", extra))
    resolved = build_definitions(config).resolve_job_def(f"demo__{job}")
    return {key.path[-1] for key in resolved.asset_layer.executable_asset_keys}


def test_without_attachments_no_job_runs_the_attachment_steps(tmp_path):
    for job in ("initial", "reconcile"):
        plain = _assets_of(tmp_path, "    content_types: [page, blogpost]\n", job)
        assert {"raw_history" if job == "initial" else "snapshot", "articles", "articles_current"} <= plain
        assert not plain & {"raw_attachments", "attachment_articles"}
        assert {"raw_attachments", "attachment_articles"} <= _assets_of(tmp_path, "", job)  # the default has them
