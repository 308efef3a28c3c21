"""Macro families, one module each; importing this package registers them all."""

from . import code, diagrams, files, includes, panels, people, structure  # noqa: F401
from .inline import emoticon

__all__ = ["emoticon"]
