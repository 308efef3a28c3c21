"""Issue 11: a storage write that fails (a full disk, a path that cannot be a folder) stops the run with an
error naming the path and the cause, leaves every earlier partition byte for byte as it was and no
temporary file behind, and a run after the cause is gone completes.

Both failures are simulated in a way that holds when the tests run as root (CI does), where a read-only
folder would not stop a write: the disk-full error is raised by the write path's own fsync (where a full
disk reports delayed allocation failures), and a plain file stands where the staging folder must be.
"""

from __future__ import annotations

import errno
import io
import os
import shutil

import polars as pl
import pytest
from reliability_support import TOKEN_ENV, Case, parquet_files

from km_assets.km import parquet_files as parquet_module
from km_assets.km.parquet_files import STAGING, StorageWriteError
from km_assets.sandbox import Sandbox, load_demo_site

pytestmark = pytest.mark.slow

SPACES = ["HR"]  # the smallest demo space: the runs here are about storage, not content


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(site=load_demo_site()) as running:
        yield running


@pytest.fixture(scope="module")
def synced(sandbox, tmp_path_factory) -> Case:
    """A first sync, done once; each test works on a copy of its folder (data and Dagster instance)."""
    case = Case(tmp_path_factory.mktemp("storage_synced"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(TOKEN_ENV, sandbox.options.api_token)
        case.write_config(sandbox.url, sandbox.login)
        with case.instance() as instance:
            summary = case.sync(instance, SPACES, permissions=False)
    assert summary.runs and not summary.failed
    return case


def copy_of(synced: Case, folder) -> Case:
    shutil.copytree(synced.folder, folder)
    case = Case(folder)
    case.config_path.write_text(synced.config_path.read_text().replace(str(synced.root), str(case.root)))
    return case


def test_a_full_disk_names_the_file_and_the_cause_and_keeps_the_previous_partition(
        synced, sandbox, tmp_path, monkeypatch):
    case = copy_of(synced, tmp_path / "full")
    monkeypatch.setenv(TOKEN_ENV, sandbox.options.api_token)
    before = parquet_files(case.root)
    rewritten = f"demo/articles/space={SPACES[0]}/data.parquet"
    assert rewritten in before
    real_fsync = os.fsync

    def full_for_that_partition(fd: int) -> None:
        # The disk fills up while the partition's new version is being written.
        if rewritten in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    with case.instance() as instance:
        with monkeypatch.context() as patch:
            patch.setattr(parquet_module.os, "fsync", full_for_that_partition)
            with pytest.raises(StorageWriteError) as failed:
                case.sync(instance, SPACES, permissions=False)  # the reconciliation rewrites the articles
        assert str(failed.value) == (f"cannot write {case.root / rewritten}: ENOSPC: No space left on device "
                                     "(OSError); its previous data is unchanged")
        assert failed.value.errno == errno.ENOSPC
        after = parquet_files(case.root)
        assert after[rewritten] == before[rewritten]
        # The run's snapshot step finished before the failure: its listing is a new snapshot (the first
        # sync's came from the history, with the history's cutoff as listed_at), of the same items.
        relisted = {name for name in before if name.startswith("demo/snapshot/")}
        assert {name: after[name] for name in before if name not in relisted} == {
            name: data for name, data in before.items() if name not in relisted}, "a partition changed under a failed run"
        for name in relisted:
            old, new = (pl.read_parquet(io.BytesIO(files[name])).drop("listed_at").sort("content_id")
                        for files in (before, after))
            assert new.equals(old), name
        assert not list((case.root / STAGING).rglob("*.tmp")), "a temporary file was left behind"
        # With space again, the same sync completes and the partition is readable and whole.
        summary = case.sync(instance, SPACES, permissions=False)
    assert summary.runs and not summary.failed
    assert case.table("articles").height == synced.table("articles").height


def test_a_file_where_the_staging_folder_must_be_is_named_and_nothing_changes(
        synced, sandbox, tmp_path, monkeypatch):
    case = copy_of(synced, tmp_path / "blocked")
    monkeypatch.setenv(TOKEN_ENV, sandbox.options.api_token)
    shutil.rmtree(case.root / STAGING, ignore_errors=True)
    (case.root / STAGING).write_text("not a folder")  # root-proof: no permission bit involved
    before = parquet_files(case.root)
    with case.instance() as instance, pytest.raises(StorageWriteError) as failed:
        case.sync(instance, SPACES, permissions=False)
    message = str(failed.value)
    assert message.startswith(f"cannot write {case.root / 'demo'}/"), message
    assert f"at {case.root / STAGING}" in message, message
    assert "FileExistsError" in message or "NotADirectoryError" in message, message
    assert parquet_files(case.root) == before
