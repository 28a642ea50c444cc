#!/usr/bin/env python3
"""Throughput and memory of `wirehouse run` beside its Python peers, in one run.

Generates corpora of N files from the real corpus (`wirehouse gen-corpus`), then
measures, on each: `cat` of every file (the read limit), `wirehouse run`, the
selectolax peer with --jobs 2, and the bs4 peer (on the smallest corpus only).
Each command runs under /usr/bin/time for wall time, peak RSS and CPU use, in
--repeat interleaved rounds (the bs4 peer in --bs4-repeat of them), each right
after a `sync` and an untimed read of the whole corpus, so every command starts
with earlier output on disk and the corpus in the page cache; the table shows
each command's median round. Prints a Markdown table and the ratios.

With --s3 (on the smallest corpus): the same files uploaded to moto's S3
server on loopback, and `wirehouse run` from there to a Delta table in the
same server, and from the local folder to a local Delta table, beside the
local run (issue 16).

usage: run_bench.py --wirehouse BIN --python PY --peer PEER.py --templates DIR
                    [--sizes 20000,200000] [--bs4-max 20000] [--work DIR]
                    [--repeat 3] [--bs4-repeat 1] [--s3]
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


def s3_server(python):
    """moto's S3 server on a free loopback port: (process, endpoint URL)."""
    import socket
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            if time.time() > deadline or server.poll() is not None:
                sys.exit("moto server did not start")
            time.sleep(0.2)


def upload(endpoint, corpus, bucket):
    """Every file of `corpus` as an object of `bucket` (16 PUTs at a time)."""
    import concurrent.futures

    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench")
    for name in (bucket, "lake"):
        client.create_bucket(Bucket=name)
    files = [p for p in pathlib.Path(corpus).rglob("*") if p.is_file()]
    put = lambda p: client.put_object(Bucket=bucket, Key=p.relative_to(corpus).as_posix(),
                                      Body=p.read_bytes())
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(put, files))
    return len(files)


def s3_rows(a, corpus, n, mb, work):
    """`wirehouse run` local → local Delta, and S3 → Delta on S3 (moto on
    loopback), in interleaved rounds beside the local folder run."""
    server, endpoint = s3_server(a.python)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
           "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint}
    try:
        uploaded = upload(endpoint, corpus, "archive")
        print(f"  uploaded {uploaded} objects to {endpoint}", file=sys.stderr)
        common = ["--progress", "quiet", "--full", "--threads", a.threads]
        contenders = {
            "wirehouse run (folder, same round)": lambda r: [a.wirehouse, "run", "--input", str(corpus),
                                                            "--output", str(work / f"s3b-folder-{r}"), *common],
            "wirehouse run → local Delta": lambda r: [a.wirehouse, "run", "--input", str(corpus), "--output",
                                                     str(work / f"s3b-delta-{r}"), "--format", "delta", *common],
            "wirehouse run S3 → Delta on S3 (moto, loopback)": lambda r: [
                a.wirehouse, "run", "--input", "s3://archive", "--output", f"s3://lake/out-{r}",
                "--format", "delta", "--allow-http", *common],
        }
        runs = {name: [] for name in contenders}
        read_all = ["sh", "-c", f"find {corpus} -name '*.md' -exec cat {{}} + > /dev/null"]
        for round_ in range(a.repeat):
            for name, cmd in contenders.items():
                subprocess.run(["sync"], check=True)
                subprocess.run(read_all, check=True)
                runs[name].append(timed(cmd(round_), env=env))
                print(f"  {n} files, round {round_ + 1}: {name}: {runs[name][-1][0]:.2f} s", file=sys.stderr)
        rows = []
        for name, times in runs.items():
            secs, rss, cpu = sorted(times)[len(times) // 2]
            rows.append((n, name, secs, n / secs if secs else 0, mb / secs if secs else 0, rss, cpu))
        return rows
    finally:
        server.terminate()
        server.wait(timeout=30)


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
    ap.add_argument("--repeat", type=int, default=5, help="rounds per corpus; medians are reported")
    ap.add_argument("--bs4-repeat", type=int, default=1, help="rounds of the (slow) bs4 peer")
    ap.add_argument("--s3", action="store_true",
                    help="also S3 → Delta on moto's loopback server, on the smallest corpus")
    a = ap.parse_args()
    work = pathlib.Path(a.work or tempfile.mkdtemp(prefix="wirehouse-bench-"))
    outs = work / "outputs"
    rows = []
    for n in [int(s) for s in a.sizes.split(",")]:
        corpus = work / f"corpus-{n}"
        if not corpus.exists():
            subprocess.run([a.wirehouse, "gen-corpus", "--templates", a.templates, "--count", str(n),
                            "--out", str(corpus), "--seed", "1"], check=True)
            # The new files on disk before any timing: their write-back
            # otherwise runs in kernel threads during the first rounds.
            subprocess.run(["sync"], check=True)
        mb = corpus_bytes(corpus) / 1e6
        read_all = ["sh", "-c", f"find {corpus} -name '*.md' -exec cat {{}} + > /dev/null"]
        contenders = {
            "cat (read limit)": read_all,
            # The output folder is filled in per round (see below).
            "wirehouse run": [a.wirehouse, "run", "--input", str(corpus), "--output", None,
                              "--progress", "quiet", "--full", "--threads", a.threads],
            "peer selectolax --jobs 2": [a.python, a.peer, "--parser", "selectolax", "--jobs", "2",
                                         "--out", str(work / f"peer-selectolax-{n}.parquet"), str(corpus)],
        }
        if n <= a.bs4_max:
            contenders["peer bs4 --jobs 2"] = [a.python, a.peer, "--parser", "bs4", "--jobs", "2",
                                               "--out", str(work / f"peer-bs4-{n}.parquet"), str(corpus)]
        # Rounds interleave the contenders, so a slow spell of a shared
        # machine falls on all of them; each reports its median round.
        runs = {name: [] for name in contenders}
        for round_ in range(a.repeat):
            for name, cmd in contenders.items():
                if name == "peer bs4 --jobs 2" and round_ >= a.bs4_repeat:
                    continue
                # Each round writes a folder of its own, and all are removed
                # when the bench ends, not between rounds: on ext4 without a
                # journal (this machine's) the inodes of files deleted in the
                # last minute (six while their inode table is not yet written
                # back) are skipped over, one by one, by every file or folder
                # created next, and a round started just after the previous
                # one's ~300 files were deleted took 10% longer (20k files:
                # 1.155 s against 1.035 s, medians of six) — a cost of the
                # bench's own clean-up, which a nightly run does not pay.
                cmd = [str(outs / f"out-{n}-{round_}") if c is None else c for c in cmd]
                # Every command starts with the corpus in the page cache: this
                # machine's kernel (DAMON, `pageout` of file pages idle for
                # 60 s) drops cached files that were read only once in the last
                # minute, and reading them back from disk made a 20k-file
                # wirehouse round 40-50% slower (1.04-1.12 s right after a
                # warm-up, 1.46-1.60 s after 75 s idle). Without this, a round
                # ran after the peer's minute-long round at 200k, or bs4's at
                # 20k; the same seconds of reading are a few percent of a peer
                # round and up to half of a one-second run.
                # Earlier rounds' output goes to disk first, so its write-back
                # does not land in this one (about 3% at 20k files).
                subprocess.run(["sync"], check=True)
                subprocess.run(read_all, check=True)
                runs[name].append(timed(cmd))
                print(f"  {n} files, round {round_ + 1}: {name}: {runs[name][-1][0]:.2f} s", file=sys.stderr)
        results = {name: sorted(times)[len(times) // 2] for name, times in runs.items()}
        for name, (secs, rss, cpu) in results.items():
            rows.append((n, name, secs, n / secs if secs else 0, mb / secs if secs else 0, rss, cpu))
        if a.s3 and n == min(int(s) for s in a.sizes.split(",")):
            rows.extend(s3_rows(a, corpus, n, mb, outs))
    shutil.rmtree(outs, ignore_errors=True)
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
