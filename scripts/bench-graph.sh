#!/usr/bin/env bash
# Benchmarks `tc graph` against taskgraph (taskgraph.md §7.2) on the synthetic fixture:
#   for each N, `taskgraph full -J` vs `tc graph full --format json` (the gate: ≥ 30×, peak RSS
#   below taskgraph's, identical output), plus `tasks` (JSON) and `full` (labels).
# Each measure: whole-process wall time with output to /dev/null, 1 warm-up then the median of
# RUNS (5); peak RSS by GNU time; both tools back to back at the repository root, in the §7.1
# environment (pinned parameters, TASKGRAPH_SERIAL=1, TASK_ID unset, a dead proxy).
# Usage: scripts/bench-graph.sh                 (N="1000 5000 20000" RUNS=5 by default)
#        N=1000 scripts/bench-graph.sh          (quick)
# Needs taskgraph 24.5.1 on PATH and /usr/bin/time.
set -euo pipefail
export LC_ALL=C

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Cargo's target directory: CARGO_TARGET_DIR when set (relative to the root, where cargo runs).
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
[[ $TARGET_DIR == /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
TC="$TARGET_DIR/release/tc"
read -ra SIZES <<< "${N:-1000 5000 20000}"
RUNS="${RUNS:-5}"
# The fixture comes from the project's own generator (TC_SYNTHETIC_GENERATOR may name another).
GEN="${TC_SYNTHETIC_GENERATOR:-$ROOT/scripts/synthetic-repo.py}"
if [[ ! -f "$GEN" ]]; then
    echo "error: $GEN not found; set TC_SYNTHETIC_GENERATOR to a generator (OUTDIR N)" >&2
    exit 2
fi
if [[ ! -x /usr/bin/time ]]; then
    echo "error: /usr/bin/time (GNU time) is required for peak RSS (apt-get install -y time)" >&2
    exit 2
fi
if ! command -v taskgraph >/dev/null; then
    echo "error: taskgraph is not on PATH (pip install taskcluster-taskgraph==24.5.1)" >&2
    exit 2
fi
echo "==> cargo build --release" >&2
(cd "$ROOT" && cargo build --release --quiet)

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# The §7.1 parameters (as tests/taskgraph-compat/compare.py --synthetic uses them).
cat >"$WORK/params.yml" <<'YAML'
build_date: 1700000000
moz_build_date: "20231114221320"
pushdate: 1700000000
head_rev: 0123456789abcdef0123456789abcdef01234567
head_repository: https://github.com/example/synth
files_changed: [src/mod3/lib.rs]
YAML
git_() {
    GIT_AUTHOR_DATE=2023-11-14T22:13:20Z GIT_COMMITTER_DATE=2023-11-14T22:13:20Z \
        git -c user.name=bench -c user.email=bench@example.com -c commit.gpgsign=false \
        -c core.hooksPath=/dev/null "$@"
}
for n in "${SIZES[@]}"; do
    echo "==> fixture N=$n" >&2
    repo="$WORK/synth-$n"
    python3 "$GEN" "$repo" "$n" >/dev/null
    (cd "$repo" && git_ init -q && git_ symbolic-ref HEAD refs/heads/main && git_ add -A &&
        git_ commit -q --no-verify -m "synthetic $n" &&
        git_ remote add origin https://github.com/example/synth)
done

unset TASK_ID TASKGRAPH_OPTIMIZE_STRATEGIES TASKGRAPH_USE_THREADS TASKCLUSTER_PROXY_URL MOZ_AUTOMATION NO_PROXY no_proxy
# A dead proxy: nothing may use the network.
for v in HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy; do
    export "$v=http://127.0.0.1:9"
done
export TASKCLUSTER_ROOT_URL=https://tc.example.com TASKGRAPH_SERIAL=1 PYTHONDONTWRITEBYTECODE=1 GIT_TERMINAL_PROMPT=0

python3 - "$TC" "$WORK" "$RUNS" "${SIZES[@]}" <<'PY'
import json, os, statistics, subprocess, sys, time

tc, work, runs, sizes = sys.argv[1], sys.argv[2], int(sys.argv[3]), [int(n) for n in sys.argv[4:]]
params = os.path.join(work, "params.yml")

def wall(cmd, cwd):
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if p.returncode:
        sys.exit(f"error: {' '.join(cmd)} failed with exit status {p.returncode}")
    return time.perf_counter() - t

def median(cmd, cwd):
    wall(cmd, cwd)  # warm-up
    return statistics.median(wall(cmd, cwd) for _ in range(runs))

def rss_mb(cmd, cwd):
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, cwd=cwd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    return int(r.stderr.strip().splitlines()[-1]) / 1024

def output(cmd, cwd):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=True).stdout

def cpu():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"

measures = [
    # (name, taskgraph command, tc command, how outputs compare)
    ("full (JSON)", ["taskgraph", "full", "-J", "-p", params],
     [tc, "graph", "full", "--format", "json", "-p", params], "json"),
    ("tasks (JSON)", ["taskgraph", "tasks", "-J", "-p", params],
     [tc, "graph", "tasks", "--format", "json", "-p", params], "json"),
    ("full (labels)", ["taskgraph", "full", "-p", params],
     [tc, "graph", "full", "-p", params], "labels"),
]
print(f"CPU: {cpu()}, {os.cpu_count()} cores; median of {runs} after 1 warm-up; peak RSS by GNU time")
print()
print("| N | stage | taskgraph | tc | ratio | taskgraph RSS | tc RSS | RSS ratio | output |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---|")
failed = False
for n in sizes:
    repo = os.path.join(work, f"synth-{n}")
    for name, tg_cmd, tc_cmd, how in measures:
        tg_t, tc_t = median(tg_cmd, repo), median(tc_cmd, repo)
        tg_m, tc_m = rss_mb(tg_cmd, repo), rss_mb(tc_cmd, repo)
        a, b = output(tg_cmd, repo), output(tc_cmd, repo)
        if how == "json":
            same = json.loads(a) == json.loads(b)
        else:
            same = sorted(filter(None, a.splitlines())) == sorted(filter(None, b.splitlines()))
        failed |= not same
        print(f"| {n} | {name} | {tg_t:.3f} s | {tc_t * 1000:.1f} ms | {tg_t / tc_t:.1f}× | "
              f"{tg_m:.0f} MB | {tc_m:.1f} MB | {tg_m / tc_m:.1f}× | {'identical' if same else 'DIFFERENT'} |",
              flush=True)
if failed:
    sys.exit("error: tc's output differs from taskgraph's")
PY
