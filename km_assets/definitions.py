"""The Dagster code location: `dagster dev -w workspace.yaml` loads `defs` from here.

km.yaml is read when Dagster loads the code location (KM_CONFIG names another file); secrets are not
read here, only at run time through EnvVar.
"""

from __future__ import annotations

from .config import load_config
from .defs import build_definitions

defs = build_definitions(load_config())
