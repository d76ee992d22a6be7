"""Spark's own machinery: URL parsing, the file operations behind the manifest, and commit rules."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from tests.conformance.conftest import selected_engines
from zonebrain.core.errors import StorageError

if "spark" not in selected_engines():  # when spark is selected, a missing pyspark is an error
    pytest.importorskip("pyspark", reason="the spark extra is not installed")

from zonebrain.storage._spark import parse_url
from zonebrain.storage._sparkfiles import Files, HadoopFiles, LocalFiles

needs_spark = pytest.mark.skipif("spark" not in selected_engines(), reason="spark not in ZONEBRAIN_ENGINES")


@pytest.mark.parametrize(
    ("url", "master", "connect", "options"),
    [
        ("spark", "local[*]", False, {}),
        ("spark://local[2]", "local[2]", False, {}),
        ("spark://yarn?path=hdfs://nn/zb", "yarn", False, {"path": "hdfs://nn/zb"}),
        (
            "spark://master:7077?spark.executor.memory=8g&path=/data/zb",
            "spark://master:7077",
            False,
            {"spark.executor.memory": "8g", "path": "/data/zb"},
        ),
        ("sc://host:15002", "sc://host:15002", True, {}),
    ],
)
def test_urls(url: str, master: str, connect: bool, options: dict[str, str]) -> None:
    assert parse_url(url) == (master, connect, options)


def exercise(files: Files) -> None:
    files.mkdirs(files.join("_manifests"))
    assert files.listdir(files.join("nothing")) == []
    target = files.join("_manifests", "00000001.json")
    assert files.publish(target, '{"a": "甲"}')
    assert not files.publish(target, "{}")  # a second writer of the same version loses
    assert json.loads(files.read_text(target)) == {"a": "甲"}
    assert files.listdir(files.join("_manifests")) == ["00000001.json"]  # no temp files left
    files.mkdirs(files.join("t", "x"))
    files.delete(files.join("t"))
    files.delete(files.join("t"))
    assert "t" not in files.listdir(files.root)


def test_local_files(tmp_path: Path) -> None:
    exercise(LocalFiles(str(tmp_path / "root")))


@needs_spark
def test_hadoop_files_on_file_uris(tmp_path: Path, spark_session: Any) -> None:
    exercise(HadoopFiles(f"file://{tmp_path}/root", spark_session))


@needs_spark
def test_concurrent_commit_is_refused_and_nothing_changes(tmp_path: Path, spark_session: Any) -> None:
    from zonebrain.storage import SCHEMA_VERSION, open_warehouse

    first = open_warehouse("spark://local[2]", data_dir=tmp_path)
    first.migrate()
    second = open_warehouse("spark://local[2]", data_dir=tmp_path)
    assert second.schema_version() == SCHEMA_VERSION
    row = pa.table({"uscc": ["A"], "name": ["甲"]})
    first.merge("enterprises", row, source="s", batch_id="b1", loaded_at=dt.datetime(2024, 1, 1))
    with pytest.raises(StorageError, match="another process committed"), second.transaction():
        # second still holds the manifest it read when the transaction began
        second._manifest_version -= 1  # type: ignore[attr-defined]
        new = pa.table({"uscc": ["B"], "name": ["乙"]})
        second.merge("enterprises", new, source="t", batch_id="b2", loaded_at=dt.datetime(2024, 1, 1))
    assert second.count("enterprises") == 1
    assert first.to_arrow(first.table("enterprises"))["batch_id"].to_pylist() == ["b1"]
    first.close()
    second.close()


@needs_spark
def test_empty_tables_and_in_memory_tables_need_no_python_workers(tmp_path: Path, spark_session: Any) -> None:
    """An empty table, or an empty Ibis in-memory table, is planned in the JVM alone.

    Built from Python rows (``createDataFrame([], schema)``, or Ibis's route through pandas,
    which PySpark sends as Python rows when the frame is empty), every query reading it would
    start Python worker tasks, about 0.4 s each; the suite and a deployment both paid that.
    """
    import ibis

    from zonebrain.storage import open_warehouse
    from zonebrain.storage._schema import TABLES

    wh = open_warehouse("spark://local[2]", data_dir=tmp_path)
    wh.migrate()
    spark = wh._spark  # type: ignore[attr-defined]
    for name in ("enterprises", "policy_runs"):
        plan = spark.table(name)._jdf.queryExecution().optimizedPlan().toString()
        assert "LocalRelation" in plan and "LogicalRDD" not in plan, plan
        assert [f.name for f in spark.table(name).schema] == list(TABLES[name].column_names)
    empty = ibis.memtable(pa.table({"k": pa.array([], pa.string()), "n": pa.array([], pa.int64())}))
    rows = wh.to_arrow(wh.table("enterprises").select("uscc").join(empty, ibis._.uscc == empty.k))
    assert rows.num_rows == 0
    plan = spark.table(empty.op().name)._jdf.queryExecution().analyzed().toString()
    assert "LocalRelation" in plan and "LogicalRDD" not in plan, plan
    wh.close()
