"""The report's plots as matplotlib figures (the object API, no pyplot state: safe in a Dagster run).

Each function takes the frame of its section and returns a Figure; `display.show_plot` embeds it.
"""

from __future__ import annotations

import polars as pl
from matplotlib.figure import Figure

__all__ = ["bars", "coverage_bars", "fidelity_histogram", "items_by_day", "requests_timeline"]

_SIZE = (8, 3.2)


def _empty(figure: Figure, ax, message: str) -> Figure:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="gray")
    ax.set_axis_off()
    return figure


def items_by_day(frame: pl.DataFrame) -> Figure:
    """Stacked bars: articles per day of last change, one colour per space."""
    figure = Figure(figsize=_SIZE)
    ax = figure.subplots()
    if frame.height == 0:
        return _empty(figure, ax, "no items in this range")
    wide = frame.pivot(on="space", index="day", values="items").fill_null(0).sort("day")
    bottom = [0] * wide.height
    for space in [c for c in wide.columns if c != "day"]:
        values = wide[space].to_list()
        ax.bar(wide["day"].to_list(), values, bottom=bottom, label=space, width=1.0)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("items")
    ax.set_title("Items by day of last change")
    ax.legend(title="space", fontsize="small")
    figure.autofmt_xdate()
    return figure


def requests_timeline(frame: pl.DataFrame) -> Figure:
    """Requests per bucket as bars, 429s and retries as lines on top."""
    figure = Figure(figsize=_SIZE)
    ax = figure.subplots()
    if frame.height == 0:
        return _empty(figure, ax, "no requests in this range")
    times = frame["at"].to_list()
    gaps = frame["at"].diff().drop_nulls()
    step = gaps.min().total_seconds() if gaps.len() else 1.0
    # Matplotlib's date axis counts in days: a bar 80% of the narrowest bucket wide.
    ax.bar(times, frame["requests"].to_list(), width=0.8 * step / 86400, label="requests", color="#4c72b0")
    ax.plot(times, frame["rate_limited"].to_list(), "o-", color="#c44e52", label="429s")
    ax.plot(times, frame["retries"].to_list(), "s--", color="#dd8452", label="retries")
    ax.set_ylabel("per bucket")
    ax.set_title("Requests and 429s over time")
    ax.legend(fontsize="small")
    figure.autofmt_xdate()
    return figure


def fidelity_histogram(values: pl.Series, threshold: float = 0.95) -> Figure:
    figure = Figure(figsize=_SIZE)
    ax = figure.subplots()
    if values.len() == 0:
        return _empty(figure, ax, "no articles")
    ax.hist(values.to_list(), bins=[i / 20 for i in range(21)], color="#55a868", edgecolor="white")
    ax.axvline(threshold, color="#c44e52", linestyle="--", label=f"threshold {threshold:.2f}")
    ax.set_xlabel("share of visible words kept")
    ax.set_ylabel("articles")
    ax.set_title("Conversion fidelity")
    ax.legend(fontsize="small")
    return figure


def bars(frame: pl.DataFrame, label: str, value: str, title: str, *, horizontal: bool = True) -> Figure:
    """A bar per row (tags, categories, roles...), largest first."""
    figure = Figure(figsize=(8, max(2.0, 0.3 * frame.height + 1)) if horizontal else _SIZE)
    ax = figure.subplots()
    if frame.height == 0:
        return _empty(figure, ax, "nothing to show")
    frame = frame.sort(value, descending=not horizontal)
    labels, values = [str(v) for v in frame[label].to_list()], frame[value].to_list()
    (ax.barh if horizontal else ax.bar)(labels, values, color="#8172b3")
    ax.set_title(title)
    return figure


def coverage_bars(frame: pl.DataFrame) -> Figure:
    figure = bars(frame, "km_role", "share", "Share of live articles each KM role may read")
    figure.axes[0].set_xlim(0, 1) if frame.height else None
    return figure
