"""generate_and_upload: local generate_data.py, then upload to the stand-in's Volume."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from generator.rules import RuleErrors
from server.adapters.databricks import VolumeNotFoundError, generate_and_upload

GENERATE = """
import os
from pathlib import Path
import pyarrow as pa
import pyarrow.parquet as pq

out = Path(os.environ["OUTPUT_PATH"]) / "stores"
out.mkdir(parents=True, exist_ok=True)
rows = int(4 * float(os.environ["SCALE_FACTOR"]))
pq.write_table(pa.table({"store_id": list(range(rows))}), out / "part-00000.parquet")
print("generated", rows, "stores")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "generate_data.py").write_text(GENERATE)
    return folder


def test_generate_then_upload(standin, workspace_client, volume, project):
    result = generate_and_upload(
        str(project), volume.catalog, volume.schema, volume.volume, scale_factor=2.0, client=workspace_client
    )
    assert set(result) == {"generation", "upload"}
    assert result["generation"]["exit_code"] == 0
    assert "generated 8 stores" in result["generation"]["stdout"]
    upload = result["upload"]
    assert upload["success"] is True and upload["files_uploaded"] == 1
    remote = volume.local / "incoming_data" / "stores" / "part-00000.parquet"
    assert remote.read_bytes() == (project / "data" / "stores" / "part-00000.parquet").read_bytes()
    assert pq.read_table(remote).num_rows == 8


def test_failed_generation_uploads_nothing(standin, workspace_client, volume, project):
    (project / "generate_data.py").write_text("raise SystemExit('boom')\n")
    result = generate_and_upload(str(project), volume.catalog, volume.schema, volume.volume, client=workspace_client)
    assert result["generation"]["exit_code"] != 0
    assert result["upload"] is None
    assert not standin.requests.find("PUT")


def test_bad_names_and_missing_volume_are_caught_before_generating(standin, workspace_client, project):
    with pytest.raises(RuleErrors):
        generate_and_upload(str(project), "bad.catalog", "s", "v", client=workspace_client)
    assert len(standin.requests) == 0
    with pytest.raises(VolumeNotFoundError):
        generate_and_upload(str(project), "no_such_catalog_zz", "s", "v", client=workspace_client)
    assert not (project / "data").exists()


def test_generate_upload_and_create_the_tables_in_one_call(standin, workspace_client, volume, tmp_path):
    import shutil

    from generator.portable import SCRIPT_TEMPLATE
    from generator.schema import TABLE_NAMES

    project = tmp_path / "template_project"
    project.mkdir()
    shutil.copy(SCRIPT_TEMPLATE, project / "generate_data.py")
    result = generate_and_upload(
        str(project),
        volume.catalog,
        volume.schema,
        volume.volume,
        scale_factor=0.05,
        client=workspace_client,
        create_tables=True,
    )
    assert set(result) == {"generation", "upload", "tables"}
    assert result["generation"]["exit_code"] == 0 and result["upload"]["success"] is True
    tables = result["tables"]
    assert tables["success"] is True, tables["error"]
    assert sorted(tables["tables"]) == sorted(TABLE_NAMES)
    assert standin.uc.tables(volume.catalog, volume.schema) == sorted(TABLE_NAMES)
    orders = standin.uc.rows(f"{volume.catalog}.{volume.schema}.orders")
    assert orders.num_rows == tables["tables"]["orders"]["rows"] > 0


def test_a_folder_that_is_not_a_dataset_says_the_upload_worked_but_no_table_was_made(
    standin, workspace_client, volume, project
):
    from server.adapters.databricks import DatabricksApiError

    with pytest.raises(DatabricksApiError) as info:  # the toy script writes no manifest: not a dataset
        generate_and_upload(
            str(project), volume.catalog, volume.schema, volume.volume, client=workspace_client, create_tables=True
        )
    message = str(info.value)
    assert f"Uploaded 1 files to {volume.path}/incoming_data, but the tables could not be created" in message
    assert "_manifest.json does not exist" in message
    assert (volume.local / "incoming_data" / "stores" / "part-00000.parquet").is_file()
    assert standin.uc.tables(volume.catalog, volume.schema) == []
