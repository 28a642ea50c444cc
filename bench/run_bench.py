#!/usr/bin/env python3
"""Throughput and memory of `wirehouse run` beside its Python peers, in one run.

Generates corpora of N files from the real corpus (`wirehouse gen-corpus`), then
measures, on each: `cat` of every file (the read limit), `wirehouse run`, the
selectolax peer with --jobs 2, and the bs4 peer (on the smallest corpus only).
Each command runs under /usr/bin/time for wall time, peak RSS and CPU use.
Prints a Markdown table and the ratios.

usage: run_bench.py --wirehouse BIN --python PY --peer PEER.py --templates DIR
                    [--sizes 20000,200000] [--bs4-max 20000] [--work DIR]
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile


def timed(cmd, **kwargs):
    """Runs cmd under /usr/bin/time; returns (seconds, peak RSS MB, CPU %)."""
    fmt = "WH_TIME %e %M %P"
    done = subprocess.run(["/usr/bin/time", "-f", fmt, *cmd], capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr[-2000:]}")
    line = [l for l in done.stderr.splitlines() if l.startswith("WH_TIME")][-1]
    _, secs, rss_kb, cpu = line.split()
    return float(secs), int(rss_kb) / 1024, cpu


def corpus_bytes(root):
    return sum(p.stat().st_size for p in pathlib.Path(root).rglob("*.md"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wirehouse", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--templates", required=True)
    ap.add_argument("--sizes", default="20000,200000")
    ap.add_argument("--bs4-max", type=int, default=20000)
    ap.add_argument("--work")
    ap.add_argument("--threads", default="2")
    a = ap.parse_args()
    work = pathlib.Path(a.work or tempfile.mkdtemp(prefix="wirehouse-bench-"))
    rows = []
    for n in [int(s) for s in a.sizes.split(",")]:
        corpus = work / f"corpus-{n}"
        if not corpus.exists():
            subprocess.run([a.wirehouse, "gen-corpus", "--templates", a.templates, "--count", str(n),
                            "--out", str(corpus), "--seed", "1"], check=True)
        mb = corpus_bytes(corpus) / 1e6
        files = sorted(str(p) for p in corpus.rglob("*.md"))
        # Warm the page cache so every contender reads from memory.
        subprocess.run(["sh", "-c", f"find {corpus} -name '*.md' -exec cat {{}} + > /dev/null"], check=True)
        results = {}
        results["cat (read limit)"] = timed(["sh", "-c", f"find {corpus} -name '*.md' -exec cat {{}} + > /dev/null"])
        out = work / f"out-{n}"
        shutil.rmtree(out, ignore_errors=True)
        results["wirehouse run"] = timed([a.wirehouse, "run", "--input", str(corpus), "--output", str(out),
                                          "--progress", "quiet", "--full", "--threads", a.threads])
        results["peer selectolax --jobs 2"] = timed([a.python, a.peer, "--parser", "selectolax", "--jobs", "2",
                                                    "--out", str(work / f"peer-selectolax-{n}.parquet"), str(corpus)])
        if n <= a.bs4_max:
            results["peer bs4 --jobs 2"] = timed([a.python, a.peer, "--parser", "bs4", "--jobs", "2",
                                                 "--out", str(work / f"peer-bs4-{n}.parquet"), str(corpus)])
        for name, (secs, rss, cpu) in results.items():
            rows.append((n, name, secs, n / secs if secs else 0, mb / secs if secs else 0, rss, cpu))
        shutil.rmtree(out, ignore_errors=True)
    print("\n| files | command | seconds | files/s | MB/s | peak RSS MB | CPU |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n, name, secs, fps, mbs, rss, cpu in rows:
        print(f"| {n} | {name} | {secs:.2f} | {fps:,.0f} | {mbs:.1f} | {rss:.0f} | {cpu} |")
    print()
    by = {(n, name): fps for n, name, _, fps, *_ in rows}
    for n in sorted({r[0] for r in rows}):
        wh = by.get((n, "wirehouse run"))
        for peer in ("peer selectolax --jobs 2", "peer bs4 --jobs 2"):
            if (n, peer) in by and by[(n, peer)]:
                print(f"{n} files: wirehouse is {wh / by[(n, peer)]:.1f}x {peer}")
    sizes = sorted({r[0] for r in rows})
    if len(sizes) > 1:
        small, large = by[(sizes[0], "wirehouse run")], by[(sizes[-1], "wirehouse run")]
        print(f"wirehouse files/s at {sizes[-1]} vs {sizes[0]}: {100 * large / small:.0f}%")
    print(f"(work folder: {work})")


if __name__ == "__main__":
    main()
