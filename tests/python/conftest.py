"""Builds datasets with the wirehouse binary for the reader tests.

WIREHOUSE_BIN names the binary (the justfile's `test` recipe sets it);
WIREHOUSE_CORPUS the real corpus (default: ../shared/corpus).

Counts over the real corpus are never written in the tests: they come from
its MANIFEST.tsv (one line per file; each file's source from its site
folder). A test that uses the corpus (the `corpus` fixture, or a fixture
built on it) is skipped when the corpus folder does not exist, with a line
saying how to point it at one — or fails, when CI is set.
"""
import collections
import os
import pathlib
import socket
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _binary():
    path = os.environ.get("WIREHOUSE_BIN")
    if not path:
        target = os.environ.get("CARGO_TARGET_DIR", ROOT / "target")
        path = pathlib.Path(target) / "debug" / "wirehouse"
    return str(path)


def _run(args):
    done = subprocess.run([_binary(), "run", *args, "--progress", "quiet"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


def corpus_path():
    """Where the real corpus is looked for."""
    return pathlib.Path(os.environ.get("WIREHOUSE_CORPUS") or ROOT.parent / "shared" / "corpus")


def pytest_runtest_setup(item):
    """Skips (or, under CI, fails) a test that needs a missing corpus, before
    its fixtures are built."""
    if "corpus" not in item.fixturenames:
        return
    path = corpus_path()
    if path.is_dir():
        return
    if os.environ.get("CI"):
        pytest.fail(f"corpus not found at {path}; set WIREHOUSE_CORPUS", pytrace=False)
    pytest.skip(f"{item.nodeid}: no corpus at {path} "
                "(set WIREHOUSE_CORPUS=/path/to/shared/corpus)")


# The source of each site folder of the corpus (`<archive>/articles/<folder>/<file>`;
# `seed/` holds the rfi seed), both archives' names, as the corpus README lists them.
SITE_SOURCES = {
    "法广": "rfi", "rfi": "rfi", "BBC": "bbc", "bbc": "bbc", "纽约时报": "nytimes", "nyt": "nytimes",
    "德国之声": "dw", "dw": "dw", "美国之音": "voa", "voa": "voa", "路透": "reuters",
    "reuters": "reuters", "金融时报": "ft", "ft": "ft", "自由亚洲电台": "rfa", "rfa": "rfa",
    "中国数字时代": "cdt", "cdt": "cdt",
}


def source_of_corpus_path(path):
    if path.startswith("seed/"):
        return "rfi"
    folder = path.split("/")[2]
    assert folder in SITE_SOURCES, f"{path}: site folder {folder!r} has no source; add it"
    return SITE_SOURCES[folder]


@pytest.fixture(scope="session")
def corpus():
    path = corpus_path()
    assert path.is_dir(), f"corpus not found at {path}; set WIREHOUSE_CORPUS"
    return path


@pytest.fixture(scope="session")
def manifest_paths(corpus):
    """The corpus paths MANIFEST.tsv lists (its first column), one per file."""
    lines = (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    assert lines and lines[0].split("\t")[0] == "local_path", lines[:1]
    paths = [line.split("\t")[0] for line in lines[1:] if line]
    assert paths, "MANIFEST.tsv lists no file"
    return paths


@pytest.fixture(scope="session")
def files_per_source(manifest_paths):
    return dict(collections.Counter(source_of_corpus_path(p) for p in manifest_paths))


@pytest.fixture(scope="session")
def corpus_dataset(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus") / "warehouse"
    _run(["--input", str(corpus), "--output", str(out)])
    return out


@pytest.fixture(scope="session")
def sample_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample") / "warehouse"
    _run([str(ROOT / "pipelines" / "sample.toml"), "--output", str(out)])
    return out


def dataset_tables(root):
    """The `articles` (with its Hive partition columns) and `rejects` tables
    of the dataset in output folder `root`."""
    import pyarrow.dataset as ds

    articles = ds.dataset(root / "articles", format="parquet", partitioning="hive").to_table()
    rejects = ds.dataset(root / "rejects", format="parquet").to_table()
    return articles, rejects


def multiset(table):
    """A table's rows as a sorted list of canonical strings: two tables with
    the same rows in any order give the same list."""
    import json

    return sorted(json.dumps(row, sort_keys=True, default=str) for row in table.to_pylist())


def same_rows(left, right):
    """Whether two tables hold the same rows over every column (by name)."""
    columns = sorted(left.column_names)
    if columns != sorted(right.column_names):
        return False
    return multiset(left.select(columns)) == multiset(right.select(columns))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    """An S3 server on loopback (moto's), for the test's lifetime; the
    environment that points clients at it."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.time() < deadline and server.poll() is None, "moto server did not start"
            time.sleep(0.2)
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
    }
    yield env
    server.terminate()
    server.wait(timeout=30)
