"""Builds datasets with the wirehouse binary for the reader tests.

WIREHOUSE_BIN names the binary (the justfile's `test` recipe sets it);
WIREHOUSE_CORPUS the real corpus (default: ../shared/corpus).
"""
import os
import pathlib
import subprocess

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


@pytest.fixture(scope="session")
def corpus_dataset(tmp_path_factory):
    corpus = os.environ.get("WIREHOUSE_CORPUS", str(ROOT.parent / "shared" / "corpus"))
    out = tmp_path_factory.mktemp("corpus") / "warehouse"
    _run(["--input", corpus, "--output", str(out)])
    return out


@pytest.fixture(scope="session")
def sample_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample") / "warehouse"
    _run([str(ROOT / "pipelines" / "sample.toml"), "--output", str(out)])
    return out
