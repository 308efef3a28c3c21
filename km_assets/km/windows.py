"""Time windows on last-modified: what an incremental run fetches, and when it may.

A window holds the content versions last modified inside it. Confluence's search index lags writes and
CQL reads dates at minute precision in the site's time zone, so a window is fetched only once it has
settled (its end plus a lag is in the past), its query starts an overlap earlier and ends a minute later
than the window (rounded outwards to whole minutes in the site's zone), and rows are placed back into
windows by their exact modified time. Rows from the overlap that belong to an earlier window are dropped
here; the (content id, version) key makes any repeat harmless anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

__all__ = ["Window", "cql_bounds", "rows_in_window", "settled", "window_for"]

STEPS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(weeks=1)}


@dataclass(frozen=True)
class Window:
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window bounds must be timezone-aware")
        if self.end <= self.start:
            raise ValueError(f"empty window {self.start} .. {self.end}")

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def window_for(moment: datetime, schedule: str) -> Window:
    """The window of a schedule (hourly, daily, weekly: Monday-based, in UTC) that holds `moment`."""
    step = STEPS.get(schedule)
    if step is None:
        raise ValueError(f"schedule must be one of {sorted(STEPS)}, not {schedule!r}")
    moment = moment.astimezone(UTC)
    if schedule == "hourly":
        start = moment.replace(minute=0, second=0, microsecond=0)
    else:
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        if schedule == "weekly":
            start -= timedelta(days=start.weekday())
    return Window(start, start + step)


def settled(window: Window, now: datetime, lag: timedelta) -> bool:
    """True once the search index has had `lag` to catch up with the window's last edits."""
    return now >= window.end + lag


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def cql_bounds(window: Window, site_zone: str, overlap: timedelta) -> tuple[str, str]:
    """(from, to) for `lastmodified >= from and lastmodified < to`, in the site's zone, minute precision.

    The start moves back by the overlap and down to its minute; the end moves up to the next whole
    minute, so an edit at 10:00:30 inside a window ending 10:00:45 is not lost to rounding.
    """
    zone = ZoneInfo(site_zone)
    start = _floor_minute((window.start - overlap).astimezone(zone))
    end_local = window.end.astimezone(zone)
    end = _floor_minute(end_local)
    if end < end_local:
        end += timedelta(minutes=1)
    return start.strftime("%Y-%m-%d %H:%M"), end.strftime("%Y-%m-%d %H:%M")


def rows_in_window(frame: pl.DataFrame, window: Window, column: str = "modified_at") -> pl.DataFrame:
    """The rows whose exact modified time falls in the window (drops what the overlap brought in)."""
    return frame.filter((pl.col(column) >= window.start) & (pl.col(column) < window.end))
