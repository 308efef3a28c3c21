"""The code location's executor, from km.yaml's `executor` section.

Only runs that Dagster launches use it (schedules, sensors, the UI, a backfill): `km sync` executes its
jobs in process. Under the K8sRunLauncher a run is a pod; with `kind: k8s` each of its steps is a
Kubernetes job too, so a run's steps spread over the cluster instead of sharing the run's pod.
"""

from __future__ import annotations

import dagster as dg

from ..config import ConfigError, ExecutorSettings

__all__ = ["executor_definition"]


def executor_definition(settings: ExecutorSettings) -> dg.ExecutorDefinition | None:
    """The executor for `dg.Definitions`; None keeps Dagster's default (multiprocess, or in process
    when a run's config asks for it), which is what an absent `executor` section has always meant."""
    if settings.kind == "in_process":
        return dg.in_process_executor
    if settings.kind == "k8s":
        executor = _k8s_job_executor()
        if settings.max_concurrent is None:
            return executor
        return executor.configured({"max_concurrent": settings.max_concurrent})
    if settings.max_concurrent is None:
        return None
    return dg.multiprocess_executor.configured({"max_concurrent": settings.max_concurrent})


def _k8s_job_executor() -> dg.ExecutorDefinition:
    try:
        from dagster_k8s import k8s_job_executor
    except ImportError as err:  # the k8s extra is optional
        raise ConfigError(
            "executor.kind: k8s needs dagster-k8s, which is not installed: install km_assets[k8s] "
            f"(uv sync --extra k8s, or pip install 'km_assets[k8s]'); import failed: {err}"
        ) from None
    return k8s_job_executor
