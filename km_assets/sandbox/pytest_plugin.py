"""A pytest fixture for anyone testing against the sandbox: `confluence_sandbox`.

Registered as a pytest plugin (entry point `km_sandbox`), so projects that install km_assets get it.
Parametrize it indirectly to choose the flavor or pass options:
    @pytest.mark.parametrize("confluence_sandbox", ["datacenter"], indirect=True)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .faults import FaultOptions
from .http import SandboxOptions
from .server import Sandbox
from .synthetic import parse_site_spec


@pytest.fixture
def confluence_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A fresh sandbox on 127.0.0.1 (demo site, cloud flavor unless parametrized), stopped afterwards.

    The parameter may be a flavor name, or a dict with `flavor`, `site` (demo | synthetic:S:P),
    `seed`, `options` (SandboxOptions fields) and `faults` (FaultOptions fields).
    """
    param = getattr(request, "param", None)
    spec = {"flavor": param} if isinstance(param, str) else dict(param or {})
    options = SandboxOptions(flavor=spec.get("flavor", "cloud"), **spec.get("options", {}))
    site = parse_site_spec(spec.get("site", "demo"), seed=spec.get("seed", 0))
    faults = FaultOptions(**spec.get("faults", {}))
    with Sandbox(site=site, options=options, faults=faults) as sandbox:
        yield sandbox
