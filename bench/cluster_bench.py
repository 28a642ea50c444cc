#!/usr/bin/env python3
"""`wirehouse run`, the Python package, and the Ray and Spark jobs on one
generated corpus, in one run (`just bench-cluster`).

Measures, on N files generated from the real corpus (`wirehouse gen-corpus`):

- `wirehouse run --threads 2` (the release binary);
- the package in one process: `wirehouse.read` (records in memory, no
  dataset), and a whole run driven from Python with a thread per worker
  (`wirehouse.engine.drive` with a thread pool as the engine: the package's
  own overhead over the CLI, without an engine's);
- `pipelines/ray_job.py` and `pipelines/spark_job.py` with 1 and 2 workers.

For each: wall seconds of the whole command, seconds of the run itself (the
summary's `elapsed_s`: plan, units, commit — after the engine started), files/s
of both, and peak memory: the sum of the resident sets of the command's
processes (its session and descendants, sampled every 0.1 s, so an engine's
workers and daemons count). Each command runs right after an untimed read of
the corpus (the page cache holds it, as in `just bench`), in --repeat rounds;
medians are shown. Prints a Markdown table and the ratios the issue sets
targets for.

usage: cluster_bench.py --wirehouse BIN --python PY --templates DIR [--files 20000] [--repeat 5]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]

PACKAGE_THREADS = """
import sys, time, json
from concurrent.futures import ThreadPoolExecutor
import wirehouse.engine as engine
workers = int(sys.argv[2])
def run_units(spec, items, remote):
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda item: engine.run_task(spec, item[0], item[1], remote), items))
sys.exit(engine.drive(sys.argv[1], "python", workers, engine.FILES_PER_UNIT, run_units))
"""

PACKAGE_READ = """
import sys, time, wirehouse
start = time.perf_counter()
records = wirehouse.read(sys.argv[1], threads=2)
print("READ_S", time.perf_counter() - start, records.files)
"""


def rss_of_tree(root_pid):
    """Resident MB of `root_pid`'s session and descendants."""
    parents, sessions, rss = {}, {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = pathlib.Path(f"/proc/{entry}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            pid = int(entry)
            parents[pid], sessions[pid] = int(fields[1]), int(fields[3])
            rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    members = {p for p, s in sessions.items() if s == root_pid} | {root_pid}
    changed = True
    while changed:
        grown = {p for p, parent in parents.items() if parent in members} - members
        members |= grown
        changed = bool(grown)
    return sum(rss.get(p, 0) for p in members) / 2**20


def measure(cmd, env=None):
    """(wall s, peak MB, stdout) of cmd, started in a session of its own."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, start_new_session=True)
    peak = [0.0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_of_tree(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{err[-3000:]}")
    return wall, peak[0], out


def warm(corpus):
    subprocess.run(f"sync; find {corpus} -type f -print0 | xargs -0 cat > /dev/null", shell=True, check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wirehouse", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--templates", required=True)
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--work")
    a = ap.parse_args()
    work = pathlib.Path(a.work or tempfile.mkdtemp(prefix="wirehouse-cluster-bench-"))
    corpus = work / f"corpus-{a.files}"
    if not corpus.exists():
        subprocess.run([a.wirehouse, "gen-corpus", "--templates", a.templates, "--count",
                        str(a.files), "--out", str(corpus)], check=True, capture_output=True)
    n = a.files

    def pipeline(name):
        path = work / f"{name}.toml"
        path.write_text(f'inputs = ["{corpus}"]\noutput = "{work / "out" / name}"\n')
        return path

    commands = {
        "wirehouse run": ([a.wirehouse, "run", "--input", str(corpus), "--output",
                           str(work / "out" / "cli"), "--threads", "2", "--full", "--progress", "quiet"], "cli"),
        "package read()": ([a.python, "-c", PACKAGE_READ, str(corpus)], None),
        "package run, 2 threads": ([a.python, "-c", PACKAGE_THREADS, str(pipeline("package")), "2"], "package"),
    }
    for engine in ("ray", "spark"):
        for workers in (1, 2):
            commands[f"{engine} job, {workers} worker{'s' if workers > 1 else ''}"] = (
                [a.python, str(ROOT / "pipelines" / f"{engine}_job.py"), str(pipeline(f"{engine}{workers}")),
                 "--workers", str(workers)], f"{engine}{workers}")
    results = {name: [] for name in commands}
    for round_ in range(a.repeat):
        for name, (cmd, out) in commands.items():
            warm(corpus)
            wall, peak, stdout = measure(cmd)
            if out is None:
                line = [l for l in stdout.splitlines() if l.startswith("READ_S")][-1].split()
                run_s, files = float(line[1]), int(line[2])
            else:
                summary = json.loads((work / "out" / out / "run-summary.json").read_text())
                run_s, files = summary["elapsed_s"], summary["files_found"]
            assert files == n, (name, files)
            results[name].append((wall, run_s, peak))
            print(f"round {round_ + 1} {name}: {wall:.2f} s wall, {run_s:.2f} s run, {peak:.0f} MB", file=sys.stderr)
    med = {name: tuple(statistics.median(r[i] for r in rs) for i in range(3)) for name, rs in results.items()}
    print(f"\n{n} files, 2 cores, medians of {a.repeat} rounds\n")
    print("| command | wall s | files/s (wall) | run s | files/s (run) | vs `wirehouse run` (run) | peak MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    cli_rate = n / med["wirehouse run"][1]
    for name, (wall, run_s, peak) in med.items():
        print(f"| {name} | {wall:.2f} | {n / wall:.0f} | {run_s:.2f} | {n / run_s:.0f} | "
              f"{100 * (n / run_s) / cli_rate:.0f}% | {peak:.0f} |")
    print()
    for engine in ("ray", "spark"):
        one, two = med[f"{engine} job, 1 worker"][1], med[f"{engine} job, 2 workers"][1]
        print(f"{engine}: 2 workers {one / two:.2f}x its 1-worker rate; "
              f"overhead per file vs the CLI (2 workers, run): {1000 * (two - med['wirehouse run'][1]) / n:.3f} ms; "
              f"engine start (wall - run, 2 workers): {med[f'{engine} job, 2 workers'][0] - two:.1f} s")


if __name__ == "__main__":
    main()
