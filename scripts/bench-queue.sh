#!/usr/bin/env bash
# The embedded queue's throughput (queue-api.md; the queue issue's performance targets):
# 10,000 no-op tasks created by 4 concurrent creators and claimed (batches of 32) and resolved by
# 4 concurrent claimers, through direct API calls with Hawk, against a release `tc queue serve`
# with durable storage (SQLite WAL, synchronous=FULL). Prints tasks/s and the p50/p99 of each call.
# Usage: scripts/bench-queue.sh [TASKS]   (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# Cargo's target directory: CARGO_TARGET_DIR when set (relative to the root, where cargo runs).
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
[[ $TARGET_DIR == /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
tasks="${1:-10000}"

cargo build --release --quiet --bin tc
cargo build --release --quiet -p tc-client --bench queue_load
bench=$(find "$TARGET_DIR/release/deps" -maxdepth 1 -type f -executable -name 'queue_load-*' -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2)

state=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$state"' EXIT
"$TARGET_DIR/release/tc" queue serve --listen 127.0.0.1:0 --state-dir "$state" \
  --root-client-id bench-client --root-access-token bench-access-token-0123456789 2>"$state/server.log" &
server=$!
for _ in $(seq 1 100); do
  [ -s "$state/credentials.json" ] && break
  sleep 0.1
done
root=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rootUrl"])' "$state/credentials.json")

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; disk: $(df -h "$state" | awk 'NR==2 {print $1}')"
"$bench" "$root" bench-client bench-access-token-0123456789 "$tasks"
