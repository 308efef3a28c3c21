"""Executing the notebooks with papermill and rendering them as HTML with nbconvert (no Dagster).

`run_report` is what `km report`, `km demo` and the sync_report asset call. The executed notebook and
its HTML are written under a temporary name and renamed into place, so a reader never opens half a
report; a notebook that raises leaves `<name>.failed.ipynb` (with the traceback) and a ReportError
naming the cell and the error.
"""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..config import KmConfig
from .kernel import ensure_kernel

__all__ = ["NOTEBOOKS", "ReportError", "notebook_path", "render_html", "run_notebook", "run_report"]

NOTEBOOKS = ("explore_mappings", "troubleshooting", "sync_report")
_TEMPLATES = Path(__file__).resolve().parent / "templates"


class ReportError(RuntimeError):
    """A notebook could not be executed or rendered."""


def notebook_path(name: str) -> Path:
    """notebooks/<name>.ipynb of this checkout (KM_NOTEBOOKS_DIR overrides where they are)."""
    folder = Path(os.environ.get("KM_NOTEBOOKS_DIR") or Path(__file__).resolve().parents[2] / "notebooks")
    path = folder / f"{name}.ipynb"
    if not path.is_file():
        raise ReportError(f"notebook {path} not found (the notebooks live in the repository's notebooks/ "
                          "folder; set KM_NOTEBOOKS_DIR if it is elsewhere)")
    return path


def run_notebook(name: str, parameters: dict[str, Any], output: Path, *, cwd: Path | None = None) -> Path:
    """Execute notebooks/<name>.ipynb with papermill into `output` (an .ipynb)."""
    import papermill

    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.stem}.{uuid.uuid4().hex}.ipynb")
    failed = output.with_name(f"{output.stem}.failed.ipynb")
    try:
        papermill.execute_notebook(str(notebook_path(name)), str(partial), parameters=parameters,
                                   kernel_name=ensure_kernel(), cwd=str(cwd or Path.cwd()), progress_bar=False,
                                   log_output=False)
    except papermill.PapermillExecutionError as err:
        partial.replace(failed)
        raise ReportError(f"notebook {name} failed in cell {err.exec_count}: {err.ename}: {err.evalue} "
                          f"(executed notebook with the traceback: {failed})") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(output)
    failed.unlink(missing_ok=True)  # an earlier failure's notebook would only mislead now
    return output


def render_html(notebook: Path, html: Path | None = None) -> Path:
    """notebook -> HTML with plots embedded as data: URIs, code hidden, no script fetched from the web."""
    import nbformat
    from nbconvert import HTMLExporter

    html = html or notebook.with_suffix(".html")
    exporter = HTMLExporter(template_name="km_report", extra_template_basedirs=[str(_TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(str(notebook), as_version=4))
    partial = html.with_name(f".{html.name}.{uuid.uuid4().hex}.tmp")
    partial.write_text(body, encoding="utf-8")
    partial.replace(html)
    return html


def _text(value: date | datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, date | datetime) else value


def run_report(config: KmConfig, connection: str, since: date | datetime | str | None = None,
               until: date | datetime | str | None = None, out_dir: str | Path = "reports", *,
               config_path: str | Path | None = None) -> Path:
    """Execute the sync report of one connection and render it; returns the HTML's path.

    Writes `<out_dir>/<connection>/sync_report[_SINCE][_UNTIL].ipynb` and `.html`. A relative storage
    root is taken from the current directory, as `km sync` writes it."""
    settings = config.connection(connection)
    root = config.storage.root
    if "://" not in root:
        root = str(Path(root).resolve())
    since_text, until_text = _text(since), _text(until)
    suffix = "".join(f"_{v.replace(':', '')}" for v in (since_text, until_text) if v)
    folder = Path(out_dir).resolve() / settings.asset_prefix
    notebook = folder / f"sync_report{suffix}.ipynb"
    parameters = {"connection": settings.name, "asset_prefix": settings.asset_prefix, "storage_root": root,
                  "since": since_text, "until": until_text,
                  "config_path": str(Path(config_path).resolve()) if config_path else None}
    run_notebook("sync_report", parameters, notebook)
    return render_html(notebook)
