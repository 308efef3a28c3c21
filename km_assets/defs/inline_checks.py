"""Data checks evaluated by the asset that writes the partition, in the same step.

A check declared on its own (`@asset_check`) is a Dagster step of its own that reads the partition back
through the IO manager (for articles: every page's Markdown again). Such steps cost about 0.3 s each on
SQLite-backed instances; the five on articles, articles_current and article_metadata were a tenth of a
first sync of a 2,000-page space. Declared as the asset's check specs they are computed on the frame the
asset has just built and reported with its materialization, one evaluation per partition as before; a
check left out of a run's selection is not evaluated. What is lost: running one of them alone on what is
stored (materialize the partition instead).
"""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import functools
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import polars as pl

__all__ = ["checked", "frame_check_specs"]

Evaluate = Callable[[pl.DataFrame], dg.AssetCheckResult]


def _frame_checks(asset: str) -> list[tuple[str, Evaluate]]:
    # Imported here: checks.py imports the assets module, which declares these specs.
    from .checks import (
        empty_titles_result,
        low_fidelity_result,
        unhandled_macros_result,
    )
    from .metadata_assets import titles_present_result

    return {
        "articles": [("titles_not_empty", empty_titles_result), ("fidelity_above_threshold", low_fidelity_result),
                     ("no_unhandled_macros", unhandled_macros_result)],
        "articles_current": [("titles_not_empty", empty_titles_result)],
        "article_metadata": [("article_title_present", titles_present_result)],
    }.get(asset, [])


def frame_check_specs(prefix: str, asset: str, partitions: dg.PartitionsDefinition) -> list[dg.AssetCheckSpec]:
    with warnings.catch_warnings():
        # Partitioned checks are a preview in Dagster 1.13; they are what gives each partition its result.
        warnings.filterwarnings("ignore", category=dg.PreviewWarning)
        return [dg.AssetCheckSpec(name, asset=dg.AssetKey([prefix, asset]), partitions_def=partitions,
                                  description=evaluate.__doc__) for name, evaluate in _frame_checks(asset)]


def checked(prefix: str, asset: str) -> Callable[[Callable[..., pl.DataFrame]], Callable[..., Iterator[Any]]]:
    """Turn an asset body returning its frame into one yielding the frame, then its check results."""
    key = dg.AssetKey([prefix, asset])

    def wrap(body: Callable[..., pl.DataFrame]) -> Callable[..., Iterator[Any]]:
        @functools.wraps(body)
        def run(context: dg.AssetExecutionContext, *args: Any, **kwargs: Any) -> Iterator[Any]:
            df = body(context, *args, **kwargs)
            yield dg.Output(df)
            selected = context.selected_asset_check_keys
            for name, evaluate in _frame_checks(asset):
                if dg.AssetCheckKey(key, name) in selected:
                    result = evaluate(df)
                    yield dg.AssetCheckResult(asset_key=key, check_name=name, passed=result.passed,
                                              severity=result.severity, metadata=result.metadata,
                                              description=result.description)

        return run

    return wrap
