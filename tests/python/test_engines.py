"""The pipeline on Ray and on Spark (`pipelines/ray_job.py`,
`pipelines/spark_job.py`), run locally with two workers: the same dataset as
`wirehouse run` over the same inputs, row for row over every column.

Small work units (a few files each) spread the inputs over many tasks, so
duplicates fall in different units and the driver's second pass runs.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import ROOT, _binary, _run, dataset_tables, same_rows

SAMPLE = ROOT / "data" / "sample"
FILES_PER_UNIT = "7"


def job(engine, pipeline, *args, env=None, check=True):
    done = subprocess.run(
        [sys.executable, str(ROOT / "pipelines" / f"{engine}_job.py"), str(pipeline),
         "--workers", "2", "--files-per-unit", FILES_PER_UNIT, *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600,
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def pipeline_file(path, inputs, output):
    path.write_text(
        "inputs = [" + ", ".join(json.dumps(str(i)) for i in inputs) + "]\n"
        f"output = {json.dumps(str(output))}\n"
        f"profiles = {json.dumps(str(ROOT / 'pipelines' / 'profiles'))}\n"
    )
    return path


def summary(output):
    return json.loads((output / "run-summary.json").read_text())


def assert_same_dataset(engine_output, cli_output, engine):
    articles, rejects = dataset_tables(engine_output)
    want_articles, want_rejects = dataset_tables(cli_output)
    assert articles.schema == want_articles.schema
    assert rejects.schema == want_rejects.schema
    assert articles.num_rows == want_articles.num_rows
    assert same_rows(articles, want_articles)
    assert same_rows(rejects, want_rejects)
    got, want = summary(engine_output), summary(cli_output)
    assert got["engine"] == engine and "engine" not in want
    assert got["files_found"] == got["records"] + got["duplicates"] + got["rejects"]
    for key in ("files_found", "records", "duplicates", "rejects", "rejects_by_kind",
                "records_by_source", "coverage", "bytes_read", "shortfalls"):
        assert got[key] == want[key], key


@pytest.fixture(scope="module")
def mixed(corpus, tmp_path_factory):
    """The corpus and the sample (bad files, a duplicate) as one run's inputs,
    and the dataset `wirehouse run` writes for them."""
    tmp = tmp_path_factory.mktemp("mixed")
    cli = tmp / "cli"
    _run([str(pipeline_file(tmp / "cli.toml", [corpus, SAMPLE], cli))])
    assert summary(cli)["duplicates"] > 0 and summary(cli)["rejects"] > 0
    return [corpus, SAMPLE], cli


@pytest.mark.parametrize("engine", ["ray", "spark"])
def test_the_job_writes_what_wirehouse_run_writes(engine, mixed, tmp_path):
    inputs, cli = mixed
    out = tmp_path / engine
    job(engine, pipeline_file(tmp_path / "p.toml", inputs, out))
    assert_same_dataset(out, cli, engine)
    # A second run commits a new generation with the same rows.
    job(engine, tmp_path / "p.toml")
    assert_same_dataset(out, cli, engine)
    assert summary(out)["generation"] == "gen-000002"


def test_the_ray_job_reads_an_archive_in_s3(s3, corpus, corpus_dataset, tmp_path, monkeypatch):
    import pyarrow.fs as pafs

    store = pafs.S3FileSystem(
        endpoint_override=s3["AWS_ENDPOINT_URL"], access_key="testing", secret_key="testing",
        region="us-east-1", allow_bucket_creation=True,
    )
    store.create_dir("archive")
    for path in corpus.rglob("*"):
        if path.is_file():
            with store.open_output_stream(f"archive/corpus/{path.relative_to(corpus).as_posix()}") as out:
                out.write(path.read_bytes())
    out = tmp_path / "from-s3"
    pipeline = tmp_path / "p.toml"
    pipeline.write_text(f'inputs = ["s3://archive/corpus"]\noutput = {json.dumps(str(out))}\n')
    job("ray", pipeline, env=s3)
    assert_same_dataset(out, corpus_dataset, "ray")
    assert summary(out)["inputs"] == ["s3://archive/corpus"]

    # A key that cannot be fetched is an io reject naming it, not a lost file.
    store.create_dir("broken")
    with store.open_output_stream("broken/a/1.md") as f:
        f.write((corpus / "seed").iterdir().__next__().read_bytes())
    import wirehouse.engine as engine

    for key, value in s3.items():
        monkeypatch.setenv(key, value)
    report = json.loads(engine.run_task(
        json.dumps({"profiles": None, "max_file_bytes": 1 << 24, "generation": str(tmp_path / "g")}),
        json.dumps({"index": 0, "first": 0, "source_paths": ["a/1.md", "a/2.md"],
                    "locations": ["s3://broken/a/1.md", "s3://broken/a/2.md"]}),
        remote=True,
    ))
    assert report["records"] == 1 and len(report["rejects"]) == 1
    reject = report["rejects"][0]
    assert reject["error_kind"] == "io" and reject["source_path"] == "a/2.md"
    assert "s3://broken/a/2.md" in reject["error_message"]


def test_a_killed_driver_leaves_the_previous_dataset_and_the_next_run_completes(mixed, tmp_path):
    inputs, cli = mixed
    out = tmp_path / "out"
    # The previous dataset: the sample alone.
    _run([str(pipeline_file(tmp_path / "before.toml", [SAMPLE], out))])
    before_articles, before_rejects = dataset_tables(out)
    pipeline = pipeline_file(tmp_path / "p.toml", inputs, out)
    generations = out / ".wirehouse" / "generations"

    driver = subprocess.Popen(
        [sys.executable, str(ROOT / "pipelines" / "ray_job.py"), str(pipeline),
         "--workers", "2", "--files-per-unit", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.time() + 300
    try:
        # Killed (with the local cluster it started) once tasks have written
        # unit files into the new generation, before its commit.
        while not any(generations.glob("gen-000002/articles/*/*/part-u*.parquet")):
            assert driver.poll() is None, "the job ended before it could be killed"
            assert time.time() < deadline
            time.sleep(0.05)
    finally:
        os.killpg(driver.pid, signal.SIGKILL)
        driver.wait()
    articles, rejects = dataset_tables(out)
    assert same_rows(articles, before_articles) and same_rows(rejects, before_rejects)
    assert summary(out)["generation"] == "gen-000001"

    job("ray", pipeline)
    assert_same_dataset(out, cli, "ray")
    # The killed run's generation is gone; the previous one stays for readers.
    assert sorted(p.name for p in generations.iterdir()) == ["gen-000001", "gen-000003"]
    shutil.rmtree(out)
