#!/usr/bin/env bash
# tc worker throughput (issue 7): N no-op native tasks (`true`) through `tc queue serve` and
# `tc worker --capacity 8`, end to end (worker start → last resolution); then the per-task cost
# of the worker at capacity 1 next to `tc run-local` of the same task, run one after another.
#   scripts/bench-worker.sh [N]        (default 500)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# Cargo's target directory: CARGO_TARGET_DIR when set (relative to the root, where cargo runs).
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
[[ $TARGET_DIR == /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
N=${1:-500}
CAPACITY=${CAPACITY:-8}
SERIAL=${SERIAL:-100}

cargo build --release --quiet
TC=$TARGET_DIR/release/tc
work=$(mktemp -d)
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export TC_CACHE_DIR=$work/cache NO_COLOR=1
unset TASKCLUSTER_CLIENT_ID TASKCLUSTER_ACCESS_TOKEN TASKCLUSTER_CERTIFICATE

"$TC" queue serve --listen 127.0.0.1:0 --state-dir "$work/state" --claim-work-timeout 1 \
  2>"$work/serve.log" &
server=$!
for _ in $(seq 1 100); do
  [ -s "$work/state/credentials.json" ] && break
  sleep 0.1
done
TASKCLUSTER_ROOT_URL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rootUrl"])' \
  "$work/state/credentials.json")
export TASKCLUSTER_ROOT_URL TC_QUEUE_STATE_DIR=$work/state

# N no-op tasks in one task group, from one `{tasks: [...]}` file.
tasks_file() {
  python3 - "$1" <<'EOF'
import json, sys
n = int(sys.argv[1])
task = {"payload": {"command": [["true"]], "maxRunTime": 60}, "metadata": {"name": "noop"}}
print(json.dumps({"tasks": [{"label": f"t{i}", "task": task} for i in range(n)]}))
EOF
}

# Waits until every task of group $1 is resolved; prints when the last one resolved (epoch s).
last_resolution() {
  while true; do
    if "$TC" group list "$1" --format json >"$work/list.json" 2>/dev/null &&
      python3 - "$work/list.json" <<'EOF'; then
import datetime, json, sys
rows = [t["status"] for t in json.load(open(sys.argv[1]))["tasks"]]
if any(r["state"] not in ("completed", "failed", "exception") for r in rows):
    sys.exit(1)
ends = [datetime.datetime.fromisoformat(r["runs"][-1]["resolved"].replace("Z", "+00:00")) for r in rows]
print(max(ends).timestamp())
EOF
      return
    fi
    sleep 0.1
  done
}

run_batch() {
  local n=$1 capacity=$2
  tasks_file "$n" >"$work/tasks.json"
  local group
  group=$("$TC" submit "$work/tasks.json" | head -n 1)
  local start
  start=$(date +%s.%N)
  "$TC" worker --capacity "$capacity" 2>"$work/worker.log" &
  local worker=$!
  local end
  end=$(last_resolution "$group")
  kill -TERM "$worker"
  wait "$worker" || true
  echo "$start $end"
}

read -r s e < <(run_batch "$N" "$CAPACITY")
e2e=$(python3 -c "print(f'{$e - $s:.2f}')")
rate=$(python3 -c "print(f'{$N / ($e - $s):.0f}')")
echo "tc worker --capacity $CAPACITY: $N no-op tasks in ${e2e}s end to end: $rate tasks/s"

read -r s e < <(run_batch "$SERIAL" 1)
worker_ms=$(python3 -c "print(f'{($e - $s) * 1000 / $SERIAL:.1f}')")

printf 'payload: {command: [["true"]], maxRunTime: 60}\n' >"$work/noop.yml"
start=$(date +%s.%N)
for _ in $(seq 1 "$SERIAL"); do
  "$TC" run-local "$work/noop.yml" --artifacts-dir "$work/art" >/dev/null 2>&1
  rm -rf "$work/art"
done
end=$(date +%s.%N)
local_ms=$(python3 -c "print(f'{($end - $start) * 1000 / $SERIAL:.1f}')")
echo "per task, one at a time: tc worker --capacity 1 ${worker_ms} ms (claim, run, log upload, report);" \
  "tc run-local ${local_ms} ms (a process start each)"
