"""The connection's concurrency pool: the steps that call Confluence hold its slots across runs, and with
`rate_limit.shared: pool` each takes requests_per_second / slots, so runs spread over machines stay
within the site's budget together."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import dagster as dg
import pytest
from conftest import write_km_yaml
from test_incremental_sync import T0

from km_assets.config import load_config
from km_assets.defs.assets import NOW_TAG
from km_assets.defs.build import build_definitions, job_name
from km_assets.defs.partitions import space_partitions
from km_assets.defs.pools import PoolLimitMissing, connection_pool
from km_assets.defs.resources import ConfluenceResource
from km_assets.sandbox import Sandbox, load_demo_site
from km_assets.sandbox.faults import FaultOptions


def _connection(tmp_path, shared: str, rate: float = 12.0):
    path = write_km_yaml(tmp_path, "http://127.0.0.1:9/wiki",
                         f"    rate_limit: {{requests_per_second: {rate}, shared: {shared}}}\n")
    return load_config(path).connection("demo")


def test_each_slot_takes_its_share_of_the_rate(tmp_path):
    connection = _connection(tmp_path, "pool")
    with dg.instance_for_test() as instance:
        instance.event_log_storage.set_concurrency_slots(connection_pool(connection), 4)
        with dg.build_resources({"c": ConfluenceResource(connection_name="demo", secret="s")},
                                instance=instance) as resources, resources.c.client(connection) as client:
            assert client.settings.requests_per_second == pytest.approx(3.0)  # 12 / 4 slots
    # The default: the whole rate, shared through this machine's bucket file instead.
    machine = _connection(tmp_path, "machine")
    with dg.instance_for_test() as instance, dg.build_resources(
            {"c": ConfluenceResource(connection_name="demo", secret="s")}, instance=instance) as resources, \
            resources.c.client(machine) as client:
        assert client.settings.requests_per_second == pytest.approx(12.0)


def test_the_instance_default_pool_limit_counts(tmp_path):
    connection = _connection(tmp_path, "pool")
    settings = {"concurrency": {"pools": {"default_limit": 3}}}
    with dg.instance_for_test(overrides=settings) as instance, dg.build_resources(
            {"c": ConfluenceResource(connection_name="demo", secret="s")}, instance=instance) as resources, \
            resources.c.client(connection) as client:
        assert client.settings.requests_per_second == pytest.approx(4.0)


def test_a_pool_without_a_limit_is_refused_with_the_command_that_sets_one(tmp_path):
    connection = _connection(tmp_path, "pool")
    with dg.instance_for_test() as instance, dg.build_resources(
            {"c": ConfluenceResource(connection_name="demo", secret="s")}, instance=instance) as resources, \
            pytest.raises(PoolLimitMissing) as raised:
        resources.c.client(connection)
    assert "dagster instance concurrency set confluence/demo" in str(raised.value)


def test_shared_accepts_the_old_booleans(tmp_path):
    assert _connection(tmp_path, "true").rate_limit.shared == "machine"
    assert _connection(tmp_path, "false").rate_limit.shared == "none"
    with pytest.raises(ValueError, match="shared"):
        _connection(tmp_path, "everyone")


def _pool_intervals(instance: dg.DagsterInstance, run_id: str, pool_steps: set[str]) -> list[tuple[float, float]]:
    starts, ends = {}, {}
    for record in instance.get_records_for_run(run_id).records:
        entry = record.event_log_entry
        if entry.step_key in pool_steps and entry.dagster_event is not None:
            kind = entry.dagster_event.event_type_value
            if kind == "STEP_START":
                starts[entry.step_key] = entry.timestamp
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
                ends[entry.step_key] = entry.timestamp
    return [(starts[k], ends[k]) for k in starts]


def _run_space(km_yaml: str, instance_ref: dg._core.instance.InstanceRef, space: str) -> tuple[str, bool]:
    """One space's initial run in a process of its own, as a schedule's run worker would make it."""
    config = load_config(km_yaml)
    job = build_definitions(config).resolve_job_def(job_name(config.connection("demo"), "initial"))
    with dg.DagsterInstance.from_ref(instance_ref) as instance:
        result = job.execute_in_process(partition_key=space, instance=instance, raise_on_error=True,
                                        tags={NOW_TAG: T0.isoformat()},
                                        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
        return result.run_id, result.success


@pytest.mark.slow
def test_one_slot_lets_one_confluence_step_run_at_a_time_across_runs(tmp_path, monkeypatch):
    """Two runs at once in two processes (as two schedules would start them): with one slot, their
    Confluence steps never overlap; both runs complete and every slot is given back."""
    faults = FaultOptions(latency_ms=150)  # each listing request takes a while: an overlap would show
    with Sandbox(site=load_demo_site(), faults=faults) as sandbox:
        monkeypatch.setenv("KM_TEST_TOKEN", sandbox.options.api_token)
        km_yaml = write_km_yaml(tmp_path, sandbox.url)
        config = load_config(km_yaml)
        connection = config.connection("demo")
        job = build_definitions(config).resolve_job_def(job_name(connection, "initial"))
        pool_steps = {node.name for node in job.graph.node_defs if getattr(node, "pool", None)}
        assert {"demo__raw_history", "demo__snapshot", "demo__article_metadata"} <= pool_steps
        spaces = sorted(sandbox.site.spaces)[:2]
        (tmp_path / "dagster").mkdir()
        with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
            instance.add_dynamic_partitions(space_partitions(connection).name, spaces)
            instance.event_log_storage.set_concurrency_slots(connection_pool(connection), 1)
            with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as workers:
                runs = list(workers.map(_run_space, [str(km_yaml)] * 2, [instance.get_ref()] * 2, spaces))
            assert [ok for _, ok in runs] == [True, True]
            first, second = (_pool_intervals(instance, run_id, pool_steps) for run_id, _ in runs)
            assert len(first) == len(second) >= 3
            for a_start, a_end in first:
                for b_start, b_end in second:
                    assert a_end <= b_start or b_end <= a_start, "two Confluence steps held one slot at once"
            info = instance.event_log_storage.get_concurrency_info(connection_pool(connection))
            assert info.slot_count == 1 and not info.claimed_slots  # every slot given back
