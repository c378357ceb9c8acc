#!/usr/bin/env bash
# Benchmarks `tc run-local` on the native engine against the same command run directly:
#   1. overhead: a task whose command is `true` vs `sh -c true` (median wall time of RUNS runs);
#   2. log throughput: a task printing ~100 MB vs the same command redirected to a file
#      (median of 5), with tc's peak RSS. Two commands: `seq` (a program producing output) and
#      `cat` of a cached file (the worst case for tc: the command itself costs nothing).
# Usage: scripts/bench-run-local.sh            (RUNS=30 by default)
set -euo pipefail
export LC_ALL=C

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Cargo's target directory: CARGO_TARGET_DIR when set (relative to the root, where cargo runs).
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
[[ $TARGET_DIR == /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
TC="$TARGET_DIR/release/tc"
RUNS="${RUNS:-30}"
if [[ ! -x /usr/bin/time ]]; then
    echo "error: /usr/bin/time (GNU time) is required for peak RSS (apt-get install -y time)" >&2
    exit 2
fi
echo "==> cargo build --release" >&2
(cd "$ROOT" && cargo build --release --quiet)

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export TC_CACHE_DIR="$WORK/cache"
cd "$WORK"

cat >true.yml <<'YAML'
payload:
  maxRunTime: 60
  command: [[sh, -c, 'true']]
YAML
cat >seq.yml <<'YAML'
payload:
  maxRunTime: 600
  command: [[seq, '1', '14000000']]
YAML
head -c 75000000 /dev/urandom | base64 >big.txt
cat >cat.yml <<YAML
payload:
  maxRunTime: 600
  command: [[cat, '$WORK/big.txt']]
YAML

python3 - "$TC" "$RUNS" <<'PY'
import os, shutil, statistics, subprocess, sys, time

tc, runs = sys.argv[1], int(sys.argv[2])

def wall(cmd, stdout=subprocess.DEVNULL):
    shutil.rmtree("A", ignore_errors=True)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=stdout, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t

def rss_kb(cmd):
    shutil.rmtree("A", ignore_errors=True)
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, check=False)
    return int(r.stderr.strip().splitlines()[-1])

def median(cmd, n, stdout=subprocess.DEVNULL):
    wall(cmd, stdout)  # warm-up
    return statistics.median(wall(cmd, stdout) for _ in range(n))

base = median(["sh", "-c", "true"], runs)
run = median([tc, "run-local", "true.yml", "--artifacts-dir", "A"], runs)
print("| measure | direct | tc run-local | result |")
print("|---|---:|---:|---|")
print(f"| `true` task, median of {runs} | {base*1000:.2f} ms | {run*1000:.2f} ms | overhead {1000*(run-base):.2f} ms (target < 10 ms) |")

for name, argv, task in [("seq 1 14000000 (108 MB)", ["seq", "1", "14000000"], "seq.yml"),
                         ("cat of a cached 100 MB file", ["cat", "big.txt"], "cat.yml")]:
    with open("out.txt", "wb") as out:
        direct = median(argv, 5, stdout=out)
    tcrun = median([tc, "run-local", task, "--artifacts-dir", "A"], 5)
    peak = rss_kb([tc, "run-local", task, "--artifacts-dir", "A"]) / 1024
    ratio = direct / tcrun
    print(f"| {name}: redirected to a file vs tc, median of 5 | {direct:.3f} s | {tcrun:.3f} s | {100*ratio:.0f}% of the direct speed (target ≥ 80%), tc peak RSS {peak:.1f} MB (target < 50 MB) |")
PY
