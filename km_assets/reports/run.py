"""Executing the notebooks with papermill and rendering them as HTML with nbconvert (no Dagster).

`run_report` is what `km report`, `km demo` and the sync_report asset call. The executed notebook and
its HTML are written under a temporary name and renamed into place, so a reader never opens half a
report; a notebook that raises leaves `<name>.failed.ipynb` (with the traceback) and a ReportError
naming the cell and the error.

Where a report goes (`write_report`): a local folder (`out_dir`, `reports/` by default) as above; or, on
object storage (an fsspec URL as `out_dir`, or no `out_dir` while storage.root is one), the storage root's
`<root>/<prefix>/reports/`, so a report outlives the pod that ran it. There papermill and nbconvert work
in a local temporary folder and each file is uploaded to its final name in one put (as Parquet partitions
are, km/parquet_files.py): readers see the previous report or the new one, never half a file, and no
staging object is written.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from upath import UPath

from ..config import KmConfig
from ..storage_root import is_local, root_path
from .display import figures
from .kernel import ensure_kernel

__all__ = ["NOTEBOOKS", "REPORTS_FOLDER", "Report", "ReportError", "notebook_path", "render_html", "run_notebook",
           "run_report", "write_report"]

NOTEBOOKS = ("explore_mappings", "troubleshooting", "sync_report")
REPORTS_FOLDER = "reports"  # <root>/<prefix>/reports/ when the storage root is object storage
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


@dataclass(frozen=True)
class Report:
    """A written sync report: where its HTML and executed notebook are (local paths, or objects under an
    fsspec URL), and the figures the notebook published (read before any local temporary copy went)."""

    html: Path | UPath
    notebook: Path | UPath
    figures: dict[str, dict[str, Any]]

    @property
    def url(self) -> str:
        """Where the HTML is: a file:// URI, or the object's URL (s3://bucket/key: no credentials in it)."""
        return self.html.as_uri() if isinstance(self.html, Path) else str(self.html)


def run_report(config: KmConfig, connection: str, since: date | datetime | str | None = None,
               until: date | datetime | str | None = None, out_dir: str | Path | None = None, *,
               config_path: str | Path | None = None) -> Path | UPath:
    """Execute the sync report of one connection and render it; returns where the HTML is (see
    `write_report`; `out_dir=None` is the default location: reports/, or the object storage root's)."""
    return write_report(config, connection, since, until, out_dir, config_path=config_path).html


def write_report(config: KmConfig, connection: str, since: date | datetime | str | None = None,
                 until: date | datetime | str | None = None, out_dir: str | Path | None = None, *,
                 config_path: str | Path | None = None) -> Report:
    """Execute the sync report of one connection and render it.

    Writes `sync_report[_SINCE][_UNTIL].ipynb` and `.html` in `<out_dir>/<connection>/` (a local folder or
    an fsspec URL). Without `out_dir`: `./reports/<connection>/` when storage.root is a local folder,
    `<root>/<connection>/reports/` when it is object storage. A relative storage root is taken from the
    current directory, as `km sync` writes it."""
    settings = config.connection(connection)
    root = config.storage.root
    if "://" not in root:
        root = str(Path(root).resolve())
    since_text, until_text = _text(since), _text(until)
    suffix = "".join(f"_{v.replace(':', '')}" for v in (since_text, until_text) if v)
    name = f"sync_report{suffix}"
    parameters = {"connection": settings.name, "asset_prefix": settings.asset_prefix, "storage_root": root,
                  "since": since_text, "until": until_text,
                  "config_path": str(Path(config_path).resolve()) if config_path else None}
    if out_dir is None and not is_local(config.storage.root):
        return _write_remote(parameters, name, root_path(config.storage.root) / settings.asset_prefix / REPORTS_FOLDER)
    if out_dir is not None and not is_local(str(out_dir)):
        return _write_remote(parameters, name, root_path(str(out_dir)) / settings.asset_prefix)
    folder = Path("reports" if out_dir is None else out_dir).resolve() / settings.asset_prefix
    notebook = folder / f"{name}.ipynb"
    run_notebook("sync_report", parameters, notebook)
    html = render_html(notebook)
    return Report(html, notebook, figures(notebook))


def _write_remote(parameters: dict[str, Any], name: str, folder: UPath) -> Report:
    """Execute and render in a local temporary folder, then upload the notebook and the HTML (one put each,
    the HTML last: once it is there, so is its notebook). A failed notebook is uploaded as
    `<name>.failed.ipynb` and the error names that object; the local copies go in every case."""
    with tempfile.TemporaryDirectory(prefix="km-report-") as scratch:
        notebook = Path(scratch) / f"{name}.ipynb"
        try:
            run_notebook("sync_report", parameters, notebook)
        except ReportError as err:
            failed = notebook.with_name(f"{name}.failed.ipynb")
            if not failed.is_file():
                raise
            target = folder / failed.name
            _upload(failed, target)
            raise ReportError(str(err).replace(str(failed), str(target))) from None
        html = render_html(notebook)
        found = figures(notebook)
        remote_notebook, remote_html = folder / notebook.name, folder / html.name
        _upload(notebook, remote_notebook)
        _upload(html, remote_html)
    stale = folder / f"{name}.failed.ipynb"
    try:
        if stale.exists():
            stale.unlink()  # an earlier failure's notebook would only mislead now
    except OSError as err:
        raise ReportError(f"the report was written to {remote_html}, but an earlier failure's notebook "
                          f"{stale} could not be removed: {_cause(err)}") from None
    return Report(remote_html, remote_notebook, found)


def _upload(local: Path, target: UPath) -> None:
    """One put of a local file to its final object (s3fs sets the content type from the file's name)."""
    try:
        target.fs.put_file(str(local), target.path)
    except OSError as err:
        raise ReportError(f"cannot write the report to {target}: {_cause(err)}") from None


def _cause(err: OSError) -> str:
    return f"{err.strerror or str(err) or 'failed'} ({type(err).__name__})"
