"""`km convert PAGE.xhtml [--json]`: anyone can try a page by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

KM = str(Path(sys.executable).with_name("km"))
PAGE = ('<h2>Deploy</h2><ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash</ac:parameter>'
        '<ac:plain-text-body><![CDATA[nwctl deploy --wave canary]]></ac:plain-text-body></ac:structured-macro>'
        '<ac:structured-macro ac:name="gadget-x"/>')


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([KM, "convert", *args], capture_output=True, text=True, timeout=60)


def test_prints_markdown(tmp_path):
    page = tmp_path / "page.xhtml"
    page.write_text(PAGE)
    result = run(str(page))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("## Deploy\n\n```bash\nnwctl deploy --wave canary\n```\n")


def test_json_report(tmp_path):
    page = tmp_path / "page.xhtml"
    page.write_text(PAGE)
    report = json.loads(run(str(page), "--json").stdout)
    assert report["macros"] == {"code": 1, "gadget-x": 1}
    assert report["unhandled_macros"] == {"gadget-x": 1}
    assert report["macro_handling"] == {"code": "converted", "gadget-x": "unhandled"}
    assert 0.9 < report["fidelity"] <= 1.0


def test_missing_file_is_a_clear_error(tmp_path):
    result = run(str(tmp_path / "absent.xhtml"))
    assert result.returncode == 2 and "no such file" in result.stderr
