"""A Confluence REST emulator: a product feature for demos and trials, and the ground for tests.

It imports nothing from km_assets.confluence: the client and the emulator are written apart so a
mistake in one is caught by the other instead of cancelled out.
"""

from .app import build_app
from .http import RequestCounters, SandboxOptions
from .server import Sandbox
from .site import Site, load_demo_site, load_site

__all__ = ["RequestCounters", "Sandbox", "SandboxOptions", "Site", "build_app", "load_demo_site", "load_site"]
