#!/usr/bin/env bash
# Benchmark `tc try stats` against a Python reference that parses the same messages
# the way gecko does (CPython shlex.split + argparse.parse_known_args), see
# spec try-syntax.md §10 ("at least 20x faster on 200,000 JSON-line messages").
#
# Usage: scripts/bench-try-stats.sh [N]          (default N=1000000)
# Environment:
#   SEED=1            generator seed
#   PY_MAX=200000     the Python reference reads at most this many lines; for larger N its
#                     time is measured on the first PY_MAX lines and scaled linearly to N
#   PYTHON=python3    interpreter for the generator and the reference
#   TC_BENCH_CACHE    where generated inputs are cached (default ${TMPDIR:-/tmp}/tc-try-bench)
#
# Exits 1 if the two tools disagree on `pushes` or `with_try_syntax`.
set -euo pipefail
export LC_ALL=C

N="${1:-1000000}"
SEED="${SEED:-1}"
PY_MAX="${PY_MAX:-200000}"
PYTHON="${PYTHON:-python3}"
RUNS=3

if ! [[ $N =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [N]   (N: positive number of messages)" >&2
    exit 2
fi
if [[ ! -x /usr/bin/time ]]; then
    echo "error: /usr/bin/time (GNU time) is required for peak RSS (apt-get install -y time)" >&2
    exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GEN="$ROOT/scripts/gen-try-messages.py"
REF="$ROOT/scripts/try_stats_reference.py"
# Cargo's target directory: CARGO_TARGET_DIR when set (relative to the root, where cargo runs).
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
[[ $TARGET_DIR == /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
TC="$TARGET_DIR/release/tc"
CACHE="${TC_BENCH_CACHE:-${TMPDIR:-/tmp}/tc-try-bench}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "==> cargo build --release" >&2
(cd "$ROOT" && cargo build --release --quiet)

# Generated inputs are cached by N, seed and a hash of the generator.
mkdir -p "$CACHE"
GEN_HASH="$(sha256sum "$GEN" | cut -c1-12)"
DATA="$CACHE/messages-n${N}-seed${SEED}-${GEN_HASH}.jsonl"
if [[ ! -s $DATA ]]; then
    echo "==> generating $N messages (seed $SEED) into $DATA" >&2
    "$PYTHON" "$GEN" "$DATA.tmp.$$" "$N" --seed "$SEED" --layout jsonl
    mv "$DATA.tmp.$$" "$DATA"
else
    echo "==> using cached $DATA" >&2
fi

# time_cmd OUT CMD...: runs CMD with stdout to OUT; sets WALL and CPU (user+sys) seconds
# and RSS_MB (peak resident set). CPU time is less disturbed by other load on the machine.
WALL=0
CPU=0
RSS_MB=0
time_cmd() {
    local out=$1 start end
    shift
    start=$EPOCHREALTIME
    /usr/bin/time -f '%M %U %S' -o "$WORK/time.txt" "$@" >"$out"
    end=$EPOCHREALTIME
    WALL=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
    RSS_MB=$(awk 'END { printf "%.1f", $1 / 1024 }' "$WORK/time.txt")
    CPU=$(awk 'END { printf "%.3f", $2 + $3 }' "$WORK/time.txt")
}

median() { printf '%s\n' "$@" | sort -g | awk '{ w[NR] = $1 } END { print w[int((NR + 1) / 2)] }'; }

# bench_tc FILE OUT: median wall and CPU time of $RUNS runs (TC_WALL, TC_CPU), max peak RSS (TC_RSS).
TC_WALL=0
TC_CPU=0
TC_RSS=0
bench_tc() {
    local file=$1 out=$2 walls=() cpus=() i
    TC_RSS=0
    for ((i = 0; i < RUNS; i++)); do
        time_cmd "$out" "$TC" try stats "$file" --format json --top 10
        walls+=("$WALL")
        cpus+=("$CPU")
        TC_RSS=$(awk -v a="$TC_RSS" -v b="$RSS_MB" 'BEGIN { print (b > a ? b : a) }')
    done
    TC_WALL=$(median "${walls[@]}")
    TC_CPU=$(median "${cpus[@]}")
    echo "    tc runs: wall ${walls[*]} s (median $TC_WALL s), cpu ${cpus[*]} s" >&2
}

# field JSON_FILE KEY: prints a top-level field of a JSON file (compact JSON for objects).
field() {
    "$PYTHON" -c 'import json, sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]; print(v if isinstance(v, int) else json.dumps(v, sort_keys=True))' "$1" "$2"
}

calc() { awk "BEGIN { printf \"$1\", $2 }"; }

echo "==> tc try stats on $N messages ($RUNS runs)" >&2
bench_tc "$DATA" "$WORK/tc.json"
TC_N_WALL=$TC_WALL
TC_N_CPU=$TC_CPU
TC_N_RSS=$TC_RSS

SCALED=0
PY_INPUT=$DATA
PY_LINES=$N
if ((N > PY_MAX)); then
    SCALED=1
    PY_INPUT="$WORK/first-${PY_MAX}.jsonl"
    PY_LINES=$PY_MAX
    head -n "$PY_MAX" "$DATA" >"$PY_INPUT"
    echo "==> tc try stats on the first $PY_MAX messages ($RUNS runs)" >&2
    bench_tc "$PY_INPUT" "$WORK/tc-sub.json"
    TC_SUB_WALL=$TC_WALL
    TC_SUB_CPU=$TC_CPU
    TC_SUB_RSS=$TC_RSS
    TC_CMP="$WORK/tc-sub.json"
else
    TC_SUB_WALL=$TC_N_WALL
    TC_SUB_CPU=$TC_N_CPU
    TC_CMP="$WORK/tc.json"
fi

echo "==> Python reference on $PY_LINES messages (1 run)" >&2
time_cmd "$WORK/py.json" "$PYTHON" "$REF" "$PY_INPUT" --top 10
PY_WALL=$WALL
PY_CPU=$CPU
PY_RSS=$RSS_MB
echo "    python: wall $PY_WALL s, cpu $PY_CPU s" >&2

# Same input for both tools: counts must agree.
status=0
for key in pushes with_try_syntax; do
    a=$(field "$TC_CMP" "$key")
    b=$(field "$WORK/py.json" "$key")
    if [[ $a != "$b" ]]; then
        echo "MISMATCH: $key: tc=$a python=$b (input $PY_INPUT)" >&2
        status=1
    fi
done
TC_PARSED=$(field "$TC_CMP" parsed)
PY_PARSED=$(field "$WORK/py.json" parsed)
same_errors=no
same_options=no
same_strings=no
[[ $(field "$TC_CMP" errors) == "$(field "$WORK/py.json" errors)" ]] && same_errors=yes
[[ $(field "$TC_CMP" options) == "$(field "$WORK/py.json" options)" ]] && same_options=yes
[[ $(field "$TC_CMP" try_strings) == "$(field "$WORK/py.json" try_strings)" ]] && same_strings=yes

mps() { calc "%.0f" "$1 / $2"; }

echo
echo "### tc try stats vs Python (shlex + argparse), N=$N, seed $SEED, $(nproc) cores"
echo
echo "| tool | messages | wall s | CPU s | peak RSS MB | messages/s (wall) |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| tc try stats (median of $RUNS) | $N | $TC_N_WALL | $TC_N_CPU | $TC_N_RSS | $(mps "$N" "$TC_N_WALL") |"
if ((SCALED)); then
    PY_SCALED=$(calc "%.2f" "$PY_WALL * $N / $PY_MAX")
    PY_SCALED_CPU=$(calc "%.2f" "$PY_CPU * $N / $PY_MAX")
    echo "| tc try stats (median of $RUNS) | $PY_MAX (first lines) | $TC_SUB_WALL | $TC_SUB_CPU | $TC_SUB_RSS | $(mps "$PY_MAX" "$TC_SUB_WALL") |"
    echo "| Python reference (measured) | $PY_MAX (first lines) | $PY_WALL | $PY_CPU | $PY_RSS | $(mps "$PY_MAX" "$PY_WALL") |"
    echo "| Python reference (SCALED linearly from $PY_MAX) | $N | $PY_SCALED | $PY_SCALED_CPU | n/a | $(mps "$PY_MAX" "$PY_WALL") |"
else
    echo "| Python reference | $N | $PY_WALL | $PY_CPU | $PY_RSS | $(mps "$N" "$PY_WALL") |"
fi
echo
RATIO_SAME=$(calc "%.1f" "$PY_WALL / $TC_SUB_WALL")
RATIO_CPU=$(calc "%.1f" "$PY_CPU / $TC_SUB_CPU")
if ((SCALED)); then
    RATIO_N=$(calc "%.1f" "($PY_WALL / $PY_MAX) / ($TC_N_WALL / $N)")
    echo "Speed ratio Python/tc: ${RATIO_SAME}x wall (${RATIO_CPU}x CPU) on the same $PY_MAX messages" \
        "(both measured); ${RATIO_N}x wall per message at N=$N (Python time scaled linearly from $PY_MAX lines)."
else
    echo "Speed ratio Python/tc: ${RATIO_SAME}x wall (${RATIO_CPU}x CPU) on the same $N messages (both measured)."
fi
echo
echo "Counts on the same $PY_LINES messages: pushes/with_try_syntax $( ((status == 0)) && echo equal || echo DIFFERENT )," \
    "parsed tc=$TC_PARSED python=$PY_PARSED; identical errors: $same_errors, Top-10 options: $same_options," \
    "Top-10 try strings: $same_strings."

pf() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
echo
if ((N >= 1000000)); then
    T1M="$(pf "$TC_N_WALL * 1000000 / $N < 2") ($(calc "%.2f" "$TC_N_WALL * 1000000 / $N") s at 1M)"
else
    T1M="n/a (needs N >= 1000000)"
fi
echo "Targets: tc 1M messages < 2 s: $T1M;" \
    "peak RSS < 100 MB: $(pf "$TC_N_RSS < 100") ($TC_N_RSS MB);" \
    ">= 20x faster than Python on the same input: $(pf "$RATIO_SAME >= 20") (${RATIO_SAME}x wall, ${RATIO_CPU}x CPU)."

if ((status != 0)); then
    echo "FAILED: pushes/with_try_syntax differ between tc and the Python reference" >&2
fi
exit "$status"
