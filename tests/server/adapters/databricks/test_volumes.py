"""upload_to_volume and the Volume clean, over HTTP against the stand-in workspace."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from generator.rules import RuleErrors
from server.adapters.databricks import (
    DatabricksApiError,
    VolumeNotFoundError,
    delete_volume_folder,
    upload_to_volume,
)
from server.adapters.databricks.volumes import list_volume_tree

RESULT_KEYS = {"success", "files_uploaded", "uploaded_paths", "errors", "remote_base"}


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_upload_lands_every_file_with_the_same_bytes(standin, workspace_client, volume, local_dataset):
    calls = []
    result = upload_to_volume(
        volume.catalog,
        volume.schema,
        volume.volume,
        str(local_dataset),
        client=workspace_client,
        progress=lambda done, total, message: calls.append((done, total, message)),
    )
    assert set(result) == RESULT_KEYS
    assert result["success"] is True, result["errors"]
    assert result["errors"] == []
    assert result["remote_base"] == f"{volume.path}/incoming_data"
    local = files_under(local_dataset)
    assert result["files_uploaded"] == len(local) == 7
    assert files_under(volume.local / "incoming_data") == local
    assert sorted(result["uploaded_paths"]) == sorted(f"{volume.path}/incoming_data/{rel}" for rel in local)
    assert calls and calls[-1][0] == calls[-1][1] == 7
    # The manifest goes last, after every data file and the Delta log.
    puts = [r.path for r in standin.requests.find("PUT", r"^/api/2\.0/fs/files/")]
    assert puts[-1].endswith("/_manifest.json")
    assert puts[-2].endswith("_delta_log/00000000000000000000.json")


def test_clean_removes_old_files_and_names_are_lower_cased(standin, workspace_client, volume, local_dataset):
    old = volume.local / "incoming_data" / "old_table" / "nested"
    old.mkdir(parents=True)
    (old / "stale.parquet").write_bytes(b"stale")
    (volume.local / "incoming_data" / "stale.txt").write_bytes(b"stale")
    keep = volume.local / "elsewhere.txt"
    keep.write_bytes(b"keep")
    result = upload_to_volume(
        volume.catalog.upper(), volume.schema.title(), volume.volume, str(local_dataset), client=workspace_client
    )
    assert result["success"] is True
    assert result["remote_base"] == f"{volume.path}/incoming_data"
    assert files_under(volume.local / "incoming_data") == files_under(local_dataset)
    assert keep.read_bytes() == b"keep"
    # Directories were deleted bottom-up, after their files.
    deletes = [r.path for r in standin.requests.find("DELETE")]
    assert deletes.index(f"/api/2.0/fs/directories{volume.path}/incoming_data/old_table/nested") < deletes.index(
        f"/api/2.0/fs/directories{volume.path}/incoming_data/old_table"
    )


def test_clean_false_keeps_existing_files_and_max_files_caps(workspace_client, volume, local_dataset):
    (volume.local / "incoming_data").mkdir()
    (volume.local / "incoming_data" / "keep.txt").write_bytes(b"keep")
    result = upload_to_volume(
        volume.catalog,
        volume.schema,
        volume.volume,
        str(local_dataset),
        clean=False,
        max_files=2,
        client=workspace_client,
    )
    assert result["success"] is True
    assert result["files_uploaded"] == 2
    assert (volume.local / "incoming_data" / "keep.txt").read_bytes() == b"keep"


def test_listing_pages_past_1000_entries_and_cleaning_a_missing_folder_is_fine(standin, workspace_client, volume):
    folder = volume.local / "big"
    (folder / "sub").mkdir(parents=True)
    for i in range(1001):
        (folder / f"f{i:05d}").write_bytes(b"x")
    (folder / "sub" / "deep.bin").write_bytes(b"y")
    files, dirs = list_volume_tree(workspace_client, f"{volume.path}/big")
    assert len(files) == 1002 and dirs == [f"{volume.path}/big/sub"]
    assert len(standin.requests.find("GET", r"^/api/2\.0/fs/directories/Volumes/.*/big$")) == 2  # two pages
    assert delete_volume_folder(workspace_client, f"{volume.path}/nothing_here") == 0


def test_throttling_429_and_503_are_retried_until_success(standin, workspace_client, volume, local_dataset):
    standin.faults.throttle(r"/part-00000\.parquet$", count=1, status=429, method="PUT")
    standin.faults.throttle(r"/part-00001\.parquet$", count=1, status=503, method="PUT")
    result = upload_to_volume(volume.catalog, volume.schema, volume.volume, str(local_dataset), client=workspace_client)
    assert result["success"] is True, result["errors"]
    assert files_under(volume.local / "incoming_data") == files_under(local_dataset)
    statuses = [r.status for r in standin.requests.find("PUT", r"/part-0000[01]\.parquet$")]
    assert 429 in statuses and 503 in statuses


def test_a_500_on_one_file_is_reported_and_the_others_land(standin, workspace_client, volume, local_dataset):
    broken = f"{volume.path}/incoming_data/products/part-00001.parquet"
    standin.faults.fail_file(broken, status=500)  # always
    result = upload_to_volume(volume.catalog, volume.schema, volume.volume, str(local_dataset), client=workspace_client)
    assert result["success"] is False
    assert any(e.startswith("products/part-00001.parquet:") and "INTERNAL_ERROR" in e for e in result["errors"])
    # The manifest is held back because the dataset is incomplete, and says so.
    assert any(e.startswith("_manifest.json: not uploaded") for e in result["errors"])
    landed = files_under(volume.local / "incoming_data")
    assert "products/part-00001.parquet" not in landed
    assert landed["stores/part-00000.parquet"] == (local_dataset / "stores/part-00000.parquet").read_bytes()
    assert "orders/_delta_log/00000000000000000000.json" in landed  # another table's log is fine
    assert result["files_uploaded"] == 5
    assert len(standin.requests.find("PUT", "products/part-00001")) == 4  # retried, then given up


def test_a_transient_500_is_retried(standin, workspace_client, volume, local_dataset):
    target = f"{volume.path}/incoming_data/stores/part-00000.parquet"
    standin.faults.fail_file(target, status=500, count=2)
    standin.faults.fail_file(
        f"{volume.path}/incoming_data/stores/part-00001.parquet", status=502, count=1, error_code="BAD_GATEWAY"
    )
    result = upload_to_volume(volume.catalog, volume.schema, volume.volume, str(local_dataset), client=workspace_client)
    assert result["success"] is True, result["errors"]
    assert [r.status for r in standin.requests.find("PUT", "stores/part-00000")] == [500, 500, 204]


def test_failed_delta_data_file_holds_back_its_log(standin, workspace_client, volume, local_dataset):
    standin.faults.fail_file(f"{volume.path}/incoming_data/orders/part-00000-abc.snappy.parquet", status=500)
    result = upload_to_volume(volume.catalog, volume.schema, volume.volume, str(local_dataset), client=workspace_client)
    assert result["success"] is False
    assert any(e.startswith("orders/_delta_log/00000000000000000000.json: not uploaded") for e in result["errors"])
    assert not (volume.local / "incoming_data" / "orders" / "_delta_log").exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"catalog": "bad.name"}, "catalog"),
        ({"schema": "has space"}, "schema"),
        ({"volume": "a/b"}, "volume"),
        ({"catalog": "tick`"}, "catalog"),
        ({"catalog": "x" * 256}, "catalog"),
        ({"catalog": ""}, "catalog"),
        ({"schema": "ctl\x07"}, "schema"),
        ({"remote_subfolder": "../escape"}, "remote_subfolder"),
        ({"remote_subfolder": "a//b"}, "remote_subfolder"),
        ({"remote_subfolder": "/abs"}, "remote_subfolder"),
        ({"remote_subfolder": "a/"}, "remote_subfolder"),
        ({"remote_subfolder": ""}, "remote_subfolder"),
    ],
)
def test_bad_names_are_refused_before_any_request(standin, workspace_client, local_dataset, kwargs, field):
    args = {"catalog": "main", "schema": "s", "volume": "v", "remote_subfolder": "incoming_data"} | kwargs
    with pytest.raises(RuleErrors) as info:
        upload_to_volume(
            args["catalog"],
            args["schema"],
            args["volume"],
            str(local_dataset),
            args["remote_subfolder"],
            client=workspace_client,
        )
    assert [error.field for error in info.value.errors] == [field]
    assert f"{field}=" in str(info.value) and "must be" in str(info.value)
    assert len(standin.requests) == 0


def test_bad_max_parallel_and_missing_local_folder(standin, workspace_client, tmp_path):
    with pytest.raises(RuleErrors, match="max_parallel"):
        upload_to_volume("c", "s", "v", str(tmp_path), max_parallel=0, client=workspace_client)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        upload_to_volume("c", "s", "v", str(tmp_path / "missing"), client=workspace_client)
    assert len(standin.requests) == 0


def test_missing_volume_is_a_clear_error(standin, workspace_client, local_dataset):
    with pytest.raises(VolumeNotFoundError, match="CREATE VOLUME IF NOT EXISTS nosuchcat_x1.s.v"):
        upload_to_volume("nosuchcat_x1", "s", "v", str(local_dataset), client=workspace_client)


def test_unreachable_host_fails_fast_with_a_clear_error(standin, volume, local_dataset):
    client = standin.client(retry_timeout_seconds=1)
    standin.faults.stop_answering()
    started = time.monotonic()
    with pytest.raises(DatabricksApiError) as info:
        upload_to_volume(volume.catalog, volume.schema, volume.volume, str(local_dataset), client=client)
    assert time.monotonic() - started < 10
    assert info.value.error_code == "UNREACHABLE"
    assert "DATABRICKS_HOST" in str(info.value)


def test_token_never_appears_in_upload_errors(standin, workspace_client, volume, local_dataset):
    token = standin.token
    standin.faults.fail_path(
        r"stores/part-00000\.parquet$",
        status=400,
        count=None,
        error_code="INVALID_PARAMETER_VALUE",
        message=f"rejected request with Authorization: Bearer {token} and token={token}",
    )
    result = upload_to_volume(volume.catalog, volume.schema, volume.volume, str(local_dataset), client=workspace_client)
    assert result["success"] is False
    text = repr(result)
    assert token not in text
    assert "[REDACTED]" in text


def test_file_names_are_percent_encoded_on_the_wire(standin, workspace_client, volume, tmp_path):
    root = tmp_path / "odd"
    (root / "table one").mkdir(parents=True)
    (root / "table one" / "part #1 100%.parquet").write_bytes(b"\x00\x01odd")
    result = upload_to_volume(volume.catalog, volume.schema, volume.volume, str(root), client=workspace_client)
    assert result["success"] is True, result["errors"]
    assert (volume.local / "incoming_data" / "table one" / "part #1 100%.parquet").read_bytes() == b"\x00\x01odd"


def test_a_set_cancel_event_sends_nothing_and_reports_every_file(standin, workspace_client, volume, local_dataset):
    import threading

    cancel = threading.Event()
    cancel.set()
    result = upload_to_volume(
        volume.catalog, volume.schema, volume.volume, str(local_dataset), client=workspace_client, cancel=cancel
    )
    assert result["success"] is False and result["files_uploaded"] == 0
    assert len(result["errors"]) == 7 and all("cancelled" in e or "manifest" in e for e in result["errors"])
    assert not standin.requests.find("PUT", r"^/api/2\.0/fs/files/")
