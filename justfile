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
    @echo "Open it: duckdb -c \"select source, count(*) from read_parquet('data/warehouse/sample/articles/**/*.parquet', hive_partitioning=true) group by 1\""

# Run wirehouse with any arguments, e.g. `just run --input ../shared/corpus --output /tmp/w`.
run *ARGS:
    cargo build --release -p wirehouse-cli
    {{target_dir}}/release/wirehouse run {{ARGS}}

# Every test: Rust unit, property and integration tests, then the Python reader tests.
test: venv
    cargo test --workspace
    cargo build -p wirehouse-cli
    WIREHOUSE_BIN={{target_dir}}/debug/wirehouse WIREHOUSE_CORPUS={{corpus}} {{venv}}/bin/python -m pytest -q tests/python

# Formatting and lints, as CI checks them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Baseline timing on the real corpus (issue 6 adds the peer comparison).
bench:
    cargo build --release -p wirehouse-cli
    out=$(mktemp -d) && trap 'rm -rf "$out"' EXIT && \
    for i in 1 2 3; do {{target_dir}}/release/wirehouse run --input {{corpus}} --output "$out/w" --progress quiet | head -1; done

# The Python environment of the tests (pinned in tests/python/requirements.txt).
venv:
    #!/usr/bin/env bash
    set -euo pipefail
    stamp="{{venv}}/.requirements"
    if [ ! -x "{{venv}}/bin/python" ]; then python3 -m venv "{{venv}}"; fi
    if ! cmp -s tests/python/requirements.txt "$stamp"; then
        "{{venv}}/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
        cp tests/python/requirements.txt "$stamp"
    fi

# Remove the sample output.
clean:
    rm -rf data/warehouse
