# wirehouse chores. `./dev RECIPE` runs these on a machine without `just`.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Cargo's own CARGO_TARGET_DIR wins when set (CI keeps one outside the clone).
target_dir := env_var_or_default("CARGO_TARGET_DIR", justfile_directory() / "target")
venv := env_var_or_default("WIREHOUSE_VENV", justfile_directory() / ".venv")
corpus := env_var_or_default("WIREHOUSE_CORPUS", justfile_directory() / "../shared/corpus")

# List the recipes.
default:
    @just --list

# Run the sample pipeline on the bundled synthetic corpus → data/warehouse/sample.
sample:
    cargo build --release -p wirehouse-cli
    {{target_dir}}/release/wirehouse run pipelines/sample.toml
    @echo "Statistics and an HTML report of it: ./dev stats"
    @echo "Query it (./dev venv installs polars and duckdb into {{venv}}):"
    @echo "  {{venv}}/bin/python -c \"import polars as pl; print(pl.scan_parquet('data/warehouse/sample/articles/**/*.parquet', hive_partitioning=True).group_by('source').len().collect())\""
    @echo "  in a notebook: duckdb.sql(\"select source, count(*) from read_parquet('data/warehouse/sample/articles/**/*.parquet', hive_partitioning=true) group by 1\")"

# Run wirehouse with any arguments, e.g. `just run --input ../shared/corpus --output /tmp/w`.
run *ARGS:
    cargo build --release -p wirehouse-cli
    {{target_dir}}/release/wirehouse run {{ARGS}}

# Tests that read the real corpus (WIREHOUSE_CORPUS, else ../shared/corpus) are skipped without it, or fail when CI is set.
# Every test: Rust unit, property and integration tests, then the Python tests (readers, stats, notebooks).
test: venv
    #!/usr/bin/env bash
    set -euo pipefail
    log=$(mktemp)
    note() {
        if [ ! -d "{{corpus}}" ]; then
            echo "note: no corpus at {{corpus}}: $(grep -c '^SKIPPED ' "$log" || true) Rust corpus tests and the Python corpus tests were skipped (set WIREHOUSE_CORPUS=/path/to/shared/corpus)"
        fi
        rm -f "$log"
    }
    trap note EXIT
    cargo test --workspace 2>&1 | tee "$log"
    cargo build -p wirehouse-cli
    # The Python package, built into the test environment (dev profile: it
    # shares the build of `cargo test` above).
    (cd crates/python && VIRTUAL_ENV="{{venv}}" "{{venv}}/bin/maturin" develop --quiet)
    WIREHOUSE_BIN={{target_dir}}/debug/wirehouse WIREHOUSE_CORPUS={{corpus}} {{venv}}/bin/python -m pytest -q -rs tests/python

# Publication statistics of the sample → data/warehouse/sample-stats (report.html, charts, tables).
stats: sample
    {{target_dir}}/release/wirehouse stats --dataset data/warehouse/sample --out data/warehouse/sample-stats
    @echo "Report: data/warehouse/sample-stats/report.html"

# Execute every notebook on the sample (builds env and dataset) into data/warehouse/notebooks/.
notebooks: venv sample
    #!/usr/bin/env bash
    set -euo pipefail
    mkdir -p data/warehouse/notebooks
    for nb in notebooks/*.ipynb; do
        WIREHOUSE_DATASET="$PWD/data/warehouse/sample" {{venv}}/bin/python - "$nb" <<'PY'
    import pathlib, sys
    import nbformat
    from nbclient import NotebookClient
    path = pathlib.Path(sys.argv[1])
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    out = pathlib.Path("data/warehouse/notebooks") / path.name
    nbformat.write(notebook, out)
    print(f"executed {path} -> {out}")
    PY
    done

# The notebooks' environment alone (same as the tests').
notebooks-env: venv

# Crash safety at scale: kill -9 a run at N random moments (default 300), rerun, compare; then
# S3_N runs publishing Delta tables to a loopback S3 server killed at random moments (default 30).
crash-test N="300" S3_N="30": venv
    WIREHOUSE_KILLS={{N}} cargo test --release -p wirehouse-cli --test crash -- --nocapture
    WIREHOUSE_S3_KILLS={{S3_N}} WIREHOUSE_BIN={{target_dir}}/release/wirehouse WIREHOUSE_CORPUS={{corpus}} {{venv}}/bin/python -m pytest -q -rs tests/python/test_storage.py -k kill_9

# Fuzz framing and extraction for SECONDS with cargo-fuzz (libFuzzer, ASan); crashes land in fuzz/artifacts/.
fuzz SECONDS="300":
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
    mkdir -p fuzz/corpus/frame_and_transform
    cp -n fuzz/seeds/frame_and_transform/* fuzz/corpus/frame_and_transform/
    # cargo-fuzz wants nightly flags; the stable toolchain ships the sanitizer runtimes.
    cd fuzz && RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=target cargo fuzz run frame_and_transform corpus/frame_and_transform -- -max_total_time={{SECONDS}} -max_len=262144 -rss_limit_mb=2048 -timeout=10

# Formatting and lints, as CI checks them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Throughput and memory beside the Python peers: 20k and 200k generated files (BENCHMARKS.md).
bench SIZES="20000,200000": venv
    cargo build --release -p wirehouse-cli
    {{venv}}/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
    {{venv}}/bin/python bench/run_bench.py --wirehouse {{target_dir}}/release/wirehouse --python {{venv}}/bin/python --peer {{justfile_directory()}}/../shared/bench/peer_extract.py --templates {{corpus}} --sizes {{SIZES}} --s3

# The Python environment of the tests (pinned in tests/python/requirements.txt).
venv:
    #!/usr/bin/env bash
    set -euo pipefail
    stamp="{{venv}}/.requirements"
    if [ ! -x "{{venv}}/bin/python" ]; then python3 -m venv "{{venv}}"; fi
    # Both files: the test requirements include the notebooks'.
    wanted=$(cat tests/python/requirements.txt notebooks/requirements.txt)
    if [ "$wanted" != "$(cat "$stamp" 2>/dev/null)" ]; then
        "{{venv}}/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
        printf '%s' "$wanted" > "$stamp"
    fi

# Build the Python package's wheel (one abi3 wheel, CPython ≥ 3.9) into target/wheels; install it with pip.
wheel: venv
    cd crates/python && "{{venv}}/bin/maturin" build --release --out "{{target_dir}}/wheels"
    @ls -1 "{{target_dir}}"/wheels/wirehouse-*.whl

# `wirehouse run`, the package, and the Ray and Spark jobs (1 and 2 workers) on one generated corpus of FILES files.
bench-cluster FILES="20000": venv
    cargo build --release -p wirehouse-cli
    cd crates/python && "{{venv}}/bin/maturin" build --release --out "{{target_dir}}/wheels"
    "{{venv}}/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "{{target_dir}}"/wheels/wirehouse-*.whl
    "{{venv}}/bin/python" bench/cluster_bench.py --wirehouse "{{target_dir}}/release/wirehouse" --python "{{venv}}/bin/python" --templates "{{corpus}}" --files {{FILES}}

# How an engine should hand files to the package: Spark's and Ray's binary-file sources against lists of paths, on FILES generated files.
bench-shapes FILES="20000": venv
    cargo build --release -p wirehouse-cli
    cd crates/python && "{{venv}}/bin/maturin" build --release --out "{{target_dir}}/wheels"
    "{{venv}}/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "{{target_dir}}"/wheels/wirehouse-*.whl
    test -d "{{target_dir}}/bench-shapes-{{FILES}}" || "{{target_dir}}/release/wirehouse" gen-corpus --templates "{{corpus}}" --count {{FILES}} --out "{{target_dir}}/bench-shapes-{{FILES}}"
    "{{venv}}/bin/python" bench/shapes_bench.py --python "{{venv}}/bin/python" --corpus "{{target_dir}}/bench-shapes-{{FILES}}"

# Remove the sample output.
clean:
    rm -rf data/warehouse
