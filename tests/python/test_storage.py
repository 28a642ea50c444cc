"""Archives and datasets in object storage (issue 16): `wirehouse run` reads
`s3://` inputs and publishes Delta tables to `s3://`, against moto's S3
server on loopback holding the real corpus; the tables are read back by
the `deltalake` package, polars and pyarrow. A small proxy in front of the
server injects throttling and dropped connections.
"""
import http.client
import http.server
import json
import os
import random
import signal
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import ROOT, _binary, _free_port, dataset_tables, same_rows

SAMPLE = ROOT / "data" / "sample"


def boto(env):
    import boto3

    return boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def upload(env, folder, bucket, prefix):
    client = boto(env)
    try:
        client.create_bucket(Bucket=bucket)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            client.put_object(Bucket=bucket, Key=f"{prefix}/{path.relative_to(folder).as_posix()}",
                              Body=path.read_bytes())


def make_bucket(env, bucket):
    client = boto(env)
    try:
        client.create_bucket(Bucket=bucket)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass


def wirehouse(env, *args, check=True):
    done = subprocess.run([_binary(), "run", *args, "--progress", "quiet", "--allow-http"],
                          capture_output=True, text=True, env={**os.environ, **env}, timeout=600)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def options(env):
    """deltalake's storage options for the loopback server."""
    return {"AWS_ENDPOINT_URL": env["AWS_ENDPOINT_URL"], "AWS_ALLOW_HTTP": "true",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1"}


def delta(env, url):
    from deltalake import DeltaTable

    return DeltaTable(url, storage_options=options(env))


def test_an_archive_in_s3_published_as_delta_in_s3_equals_the_local_run(s3, corpus, corpus_dataset):
    import polars as pl
    import pyarrow.dataset as ds

    upload(s3, corpus, "archive", "corpus")
    make_bucket(s3, "lake")
    wirehouse(s3, "--input", "s3://archive/corpus", "--output", "s3://lake/corpus",
              "--format", "delta")
    want_articles, want_rejects = dataset_tables(corpus_dataset)
    articles = delta(s3, "s3://lake/corpus/articles").to_pyarrow_table()
    rejects = delta(s3, "s3://lake/corpus/rejects").to_pyarrow_table()
    assert articles.num_rows == want_articles.num_rows
    assert same_rows(articles, want_articles)
    assert same_rows(rejects, want_rejects)
    # polars reads the same table; pyarrow reads the files the log lists.
    frame = pl.read_delta("s3://lake/corpus/articles", storage_options=options(s3))
    assert frame.height == want_articles.num_rows
    assert sorted(frame["content_sha256"].to_list()) == sorted(
        want_articles["content_sha256"].to_pylist())
    table = delta(s3, "s3://lake/corpus/articles")
    import pyarrow.fs as pafs

    fs = pafs.S3FileSystem(endpoint_override=s3["AWS_ENDPOINT_URL"], access_key="testing",
                           secret_key="testing", region="us-east-1", scheme="http")
    files = [uri.removeprefix("s3://") for uri in table.file_uris()]
    assert ds.dataset(files, filesystem=fs, format="parquet").count_rows() == want_articles.num_rows
    # The run's accounting and versions, next to the tables.
    summary = json.loads(boto(s3).get_object(Bucket="lake", Key="corpus/run-summary.json")["Body"].read())
    local = json.loads((corpus_dataset / "run-summary.json").read_text())
    for key in ("files_found", "records", "duplicates", "rejects", "records_by_source"):
        assert summary[key] == local[key], key
    assert summary["inputs"] == ["s3://archive/corpus"]
    assert summary["delta"] == {"run": 1, "articles_version": table.version(),
                                "rejects_version": 0}


def test_a_rerun_on_s3_commits_nothing_and_a_changed_key_rewrites_its_partitions(s3, tmp_path):
    upload(s3, SAMPLE, "archive", "sample")
    make_bucket(s3, "lake")
    args = ("--input", "s3://archive/sample", "--output", "s3://lake/sample", "--format", "delta")
    wirehouse(s3, *args)
    table = delta(s3, "s3://lake/sample/articles")
    first, files = table.version(), set(table.file_uris())
    wirehouse(s3, *args)
    assert delta(s3, "s3://lake/sample/articles").version() == first
    assert delta(s3, "s3://lake/sample/rejects").version() == 0

    # One key's feed time moves by a second: one commit rewrites its partition.
    client = boto(s3)
    key = sorted(o["Key"] for o in client.list_objects_v2(Bucket="archive", Prefix="sample/rfi/")["Contents"]
                 if o["Key"].endswith(".md"))[0]
    text = client.get_object(Bucket="archive", Key=key)["Body"].read().decode()
    head, rest = text.split("-->", 1)
    ms = int(head.removeprefix("<!--")) + 1000
    client.put_object(Bucket="archive", Key=key, Body=f"<!--{ms}-->{rest}".encode())
    wirehouse(s3, *args)
    table = delta(s3, "s3://lake/sample/articles")
    assert table.version() == first + 1
    year = time.gmtime(ms / 1000).tm_year
    partition = f"source=rfi/year={year}/"
    changed = set(table.file_uris()) ^ files
    assert changed and all(partition in uri for uri in changed), changed
    history = table.history(1)[0]
    assert history["operation"] == "WRITE"

    # The table holds what a local run over the changed archive writes.
    local_in = tmp_path / "in"
    for obj in client.list_objects_v2(Bucket="archive", Prefix="sample/")["Contents"]:
        path = local_in / obj["Key"].removeprefix("sample/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(client.get_object(Bucket="archive", Key=obj["Key"])["Body"].read())
    local_out = tmp_path / "out"
    wirehouse({}, "--input", str(local_in), "--output", str(local_out))
    want_articles, want_rejects = dataset_tables(local_out)
    assert same_rows(table.to_pyarrow_table(), want_articles)
    assert same_rows(delta(s3, "s3://lake/sample/rejects").to_pyarrow_table(), want_rejects)


class FaultyProxy:
    """Forwards HTTP to the S3 server, except GETs of keys under a `flaky/`
    folder (answered 503 Slow Down twice, then forwarded) and `dead/` (the
    connection dropped without an answer, every time). Counts the GETs."""

    def __init__(self, upstream):
        host, port = upstream.removeprefix("http://").split(":")
        self.gets = {}
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                path = urllib.parse.unquote(self.path.split("?")[0])
                if self.command == "GET" and ("/flaky/" in path or "/dead/" in path):
                    proxy.gets[path] = proxy.gets.get(path, 0) + 1
                    if "/dead/" in path:
                        self.close_connection = True
                        self.connection.close()
                        return
                    if proxy.gets[path] <= 2:
                        message = b"<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>"
                        self.send_response(503)
                        self.send_header("Content-Length", str(len(message)))
                        self.end_headers()
                        self.wfile.write(message)
                        return
                upstream_conn = http.client.HTTPConnection(host, int(port), timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                upstream_conn.request(self.command, self.path, body=body, headers=headers)
                answer = upstream_conn.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for k, v in answer.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream_conn.close()

            do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_throttling_and_dropped_connections_are_retried_then_rejected_never_lost(s3, tmp_path):
    files = sorted((SAMPLE / "rfi").glob("*.md"))[:3]
    client = boto(s3)
    make_bucket(s3, "faulty")
    for folder, path in zip(["flaky", "dead", "ok"], files):
        client.put_object(Bucket="faulty", Key=f"in/{folder}/{path.name}", Body=path.read_bytes())
    proxy = FaultyProxy(s3["AWS_ENDPOINT_URL"])
    try:
        out = tmp_path / "out"
        pipeline = tmp_path / "p.toml"
        pipeline.write_text(
            'inputs = ["s3://faulty/in"]\n'
            f"output = {json.dumps(str(out))}\n"
            "[storage]\n"
            f"endpoint = {json.dumps(proxy.url)}\n"
            "allow_http = true\nmax_retries = 3\nretry_timeout_s = 20\n"
        )
        started = time.time()
        wirehouse(s3, str(pipeline))
        took = time.time() - started
    finally:
        proxy.close()
    summary = json.loads((out / "run-summary.json").read_text())
    assert summary["files_found"] == 3
    assert summary["records"] == 2 and summary["rejects"] == 1, summary
    flaky = f"/faulty/in/flaky/{files[0].name}"
    dead = f"/faulty/in/dead/{files[1].name}"
    assert proxy.gets[flaky] == 3, proxy.gets  # two 503s, then the bytes
    assert proxy.gets[dead] > 1, proxy.gets  # retried before giving up
    _, rejects = dataset_tables(out)
    reject = rejects.to_pylist()[0]
    assert reject["error_kind"] == "io"
    assert reject["source_path"] == f"dead/{files[1].name}"
    assert f"s3://faulty/in/dead/{files[1].name}" in reject["error_message"]
    assert took < 120


def test_an_s3_output_without_delta_is_refused_with_the_reason(s3, tmp_path):
    done = wirehouse(s3, "--input", str(SAMPLE), "--output", "s3://lake/x", check=False)
    assert done.returncode == 2
    assert "only as Delta tables" in done.stderr and "--format delta" in done.stderr


def test_kill_9_during_a_run_to_s3_leaves_the_previous_or_the_new_version(s3, corpus, tmp_path):
    """`kill -9` at random moments of a run publishing to a bucket: the
    tables read at the previous version or the new one, never anything
    between; a rerun completes. WIREHOUSE_S3_KILLS trials (`just
    crash-test` runs 30; CI a few)."""
    trials = int(os.environ.get("WIREHOUSE_S3_KILLS", "3"))
    upload(s3, SAMPLE, "archive", "kills")
    make_bucket(s3, "lake")
    args = ["--input", "s3://archive/kills", "--input", str(corpus),
            "--output", "s3://lake/kills", "--format", "delta"]
    wirehouse(s3, *args)
    before = delta(s3, "s3://lake/kills/articles").to_pyarrow_table()
    full_args = [*args, "--full"]  # every run rewrites every partition
    started = time.time()
    wirehouse(s3, *full_args)
    duration = time.time() - started
    after = delta(s3, "s3://lake/kills/articles")
    assert same_rows(after.to_pyarrow_table(), before)
    rng = random.Random(16)
    committed = 0
    for trial in range(trials):
        version = delta(s3, "s3://lake/kills/articles").version()
        process = subprocess.Popen(
            [_binary(), "run", *full_args, "--progress", "quiet", "--allow-http"],
            env={**os.environ, **s3}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Late in the run mostly: the uploads and the two commits are its end.
        delay = rng.uniform(0.3, 1.3) * duration
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        print(f"trial {trial}: killed at {delay:.2f} s of a {duration:.2f} s run, rc {process.returncode}")
        table = delta(s3, "s3://lake/kills/articles")
        assert table.version() in (version, version + 1), trial
        committed += table.version() - version
        assert same_rows(table.to_pyarrow_table(), before), trial
    print(f"{trials} runs killed: {committed} after their commit, {trials - committed} before it")
    wirehouse(s3, *args)
    assert same_rows(delta(s3, "s3://lake/kills/articles").to_pyarrow_table(), before)


def test_keys_region_and_endpoint_come_from_an_aws_cli_profile(s3, tmp_path):
    """No AWS_* keys in the environment: the profile named by AWS_PROFILE in
    the CLI's files gives them, with the region and the endpoint."""
    upload(s3, SAMPLE, "archive", "profile")
    (tmp_path / "credentials").write_text(
        "[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n"
        "[lake]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    (tmp_path / "config").write_text(
        f"[profile lake]\nregion = us-east-1\nendpoint_url = {s3['AWS_ENDPOINT_URL']}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_PROFILE="lake", AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
               AWS_CONFIG_FILE=str(tmp_path / "config"))
    out = tmp_path / "out"
    done = subprocess.run([_binary(), "run", "--input", "s3://archive/profile", "--output", str(out),
                           "--progress", "quiet", "--allow-http"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "run-summary.json").read_text())
    assert summary["files_found"] == len([p for p in SAMPLE.rglob("*") if p.is_file()
                                          and p.name not in ("README.md", "expected.tsv")])
    assert "io" not in summary["rejects_by_kind"], summary
