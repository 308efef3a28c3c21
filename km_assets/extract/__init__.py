"""Attachment text -> Markdown, safely: a worker process with time and memory limits, refusals with reasons.

No Dagster here: `Extractor(Limits(...)).extract(path, filename=..., media_type=...)` works from a
notebook or a script as well as from the `attachment_articles` asset. `TextCache` keeps each result by
the file's sha256, so a file attached to many pages is extracted once.
"""

from __future__ import annotations

from .cache import TextCache
from .convert import EXTRACTOR
from .kinds import kind_of, refusal
from .worker import Extraction, Extractor, Limits
from .zipguard import zip_problem

__all__ = ["EXTRACTOR", "Extraction", "Extractor", "Limits", "TextCache", "kind_of", "refusal", "zip_problem"]
