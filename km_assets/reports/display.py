"""Showing a section in a notebook: a table or a plot for people, the figures behind it for machines.

Each output carries, next to its HTML or PNG, a small JSON payload under FIGURES_MIME (key, row count,
the figures a section computed). nbconvert renders the HTML or the image and ignores the payload; tests
and the sync_report asset read it back from the executed notebook (`figures`), so "the report's item
count equals the synced count" is checked on what the report showed, not recomputed beside it.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import polars as pl

__all__ = ["FIGURES_MIME", "figures", "show", "show_html", "show_plot", "show_text"]

FIGURES_MIME = "application/vnd.km-assets.figures+json"


def _publish(bundle: dict[str, Any]) -> None:
    from IPython.display import display  # only inside a kernel; the rest of the package does without it

    display(bundle, raw=True)


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(payload, default=str))


def show(frame: pl.DataFrame, key: str, *, limit: int = 50, **extra: Any) -> None:
    """A table (its first `limit` rows) and its figures: key, rows, columns and `extra`."""
    shown = frame.head(limit)
    with pl.Config(tbl_rows=limit, tbl_cols=-1, fmt_str_lengths=120, fmt_table_cell_list_len=8,
                   tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        html, text = shown._repr_html_(), repr(shown)
    if frame.height > limit:
        html += f"<p><em>{frame.height - limit} more rows not shown.</em></p>"
    _publish({"text/html": html, "text/plain": text,
              FIGURES_MIME: _jsonable({"key": key, "rows": frame.height, "columns": frame.columns, **extra})})


def show_text(text: str, key: str, **extra: Any) -> None:
    """A block of preformatted text (a verdict, a message) and its figures."""
    from html import escape

    _publish({"text/html": f"<pre>{escape(text)}</pre>", "text/plain": text,
              FIGURES_MIME: _jsonable({"key": key, **extra})})


def show_html(html: str, key: str, text: str = "", **extra: Any) -> None:
    """Ready-made HTML (escaped by whoever built it) and its figures."""
    _publish({"text/html": html, "text/plain": text or f"<{key}>", FIGURES_MIME: _jsonable({"key": key, **extra})})


def show_plot(figure, key: str, **extra: Any) -> None:
    """A matplotlib figure as an embedded PNG (nbconvert inlines it as a data: URI in the HTML)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    _publish({"image/png": png, "text/plain": f"<plot {key}>", FIGURES_MIME: _jsonable({"key": key, "plot": True,
                                                                                        **extra})})


def figures(notebook: str | Path) -> dict[str, dict[str, Any]]:
    """The payloads an executed notebook published, by key (the last one wins)."""
    import nbformat

    found: dict[str, dict[str, Any]] = {}
    for cell in nbformat.read(str(notebook), as_version=4).cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(FIGURES_MIME)
            if payload:
                found[payload["key"]] = dict(payload)
    return found
