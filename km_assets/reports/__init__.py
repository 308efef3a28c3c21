"""Notebooks and reports over a connection's Parquet outputs: data helpers per section, plots, papermill.

No Dagster here: notebooks import these helpers and read the Parquet files by path (`Store`); the
sync_report asset (defs/report_assets.py), `km report` and `km demo` call `run_report`.
"""

from .display import FIGURES_MIME, figures, show, show_html, show_plot, show_text
from .kernel import KERNEL_NAME, ensure_kernel
from .run import NOTEBOOKS, ReportError, notebook_path, render_html, run_notebook, run_report
from .store import Store, open_store, parse_moment

__all__ = [
    "FIGURES_MIME", "KERNEL_NAME", "NOTEBOOKS", "ReportError", "Store", "ensure_kernel", "figures", "notebook_path",
    "open_store", "parse_moment", "render_html", "run_notebook", "run_report", "show", "show_html", "show_plot", "show_text",
]
