#!/usr/bin/env bash
# Benchmarks `tc run-local` on the Docker engine against the docker CLI doing the same job:
#   1. start-up overhead: a docker-worker task whose command is `true`, run in a busybox image
#      the daemon has (loaded from a `docker save` tarball first), named the same way on both
#      sides: `tc run-local --image IMAGE` vs `docker run --rm --network none IMAGE true`; one
#      warm-up each, then RUNS runs of each, interleaved; median wall time and the ratio;
#   2. loading a MB-megabyte `.tar.zst` image (one layer of incompressible data plus busybox)
#      and running `true` in it: `zstd -dc FILE | docker load` then `docker run --rm`, vs
#      `tc run-local --image FILE --pull never` with a fresh, empty cache directory each time
#      (so it really loads); the image is removed before every run; LOAD_RUNS runs of each,
#      interleaved.
# If tc cannot be built or refuses a run (e.g. no Docker engine yet), its half is reported as
# skipped with the reason and the docker CLI half still runs. Everything the script makes
# (images tagged tc-bench/..., containers from them, temporary directories) is removed on exit.
#
# Usage: scripts/bench-run-local-docker.sh
# Environment:
#   RUNS=15            start-up runs of each side (after one warm-up each)
#   LOAD_RUNS=3        image-load runs of each side
#   MB=200             megabytes of random data in the loaded image
#   BUSYBOX=/bin/busybox   a statically linked busybox for the images
#   TC=path/to/tc      use this tc binary instead of building one with `cargo build --release`
#                      (CARGO_TARGET_DIR is honoured when building)
# Needs: docker (a running daemon), zstd, GNU tar, sha256sum.
set -euo pipefail
export LC_ALL=C

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-15}"
LOAD_RUNS="${LOAD_RUNS:-3}"
MB="${MB:-200}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
SMALL_REF="tc-bench/busybox:1"
LOAD_REF="tc-bench/busybox-load:1"

for var in RUNS LOAD_RUNS; do
    if ! [[ ${!var} =~ ^[1-9][0-9]*$ ]]; then
        echo "error: $var must be a positive number, not '${!var}'" >&2
        exit 2
    fi
done
if ! [[ $MB =~ ^[0-9]+$ ]]; then
    echo "error: MB must be a number of megabytes, not '$MB'" >&2
    exit 2
fi
for tool in docker zstd tar sha256sum; do
    if ! command -v "$tool" >/dev/null; then
        echo "error: $tool is required (zstd: apt-get install -y zstd)" >&2
        exit 2
    fi
done
if [[ ! -x $BUSYBOX ]]; then
    echo "error: no busybox at $BUSYBOX (apt-get install -y busybox-static, or set BUSYBOX)" >&2
    exit 2
fi
if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
    echo "error: cannot reach the Docker daemon (docker version fails)" >&2
    exit 2
fi
case "$(uname -m)" in
    x86_64) ARCH=amd64 ;;
    aarch64) ARCH=arm64 ;;
    *) ARCH="$(uname -m)" ;;
esac

# TC_SKIP holds why tc cannot be measured at all (empty when it can).
TC_SKIP=""
if [[ -n ${TC:-} ]]; then
    if [[ ! -x $TC ]]; then
        TC_SKIP="TC=$TC is not an executable"
    fi
else
    TARGET_DIR="${CARGO_TARGET_DIR:-target}"
    # CARGO_TARGET_DIR is relative to the root, where cargo runs.
    [[ $TARGET_DIR == /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
    TC="$TARGET_DIR/release/tc"
    echo "==> cargo build --release" >&2
    if ! (cd "$ROOT" && cargo build --release --quiet); then
        TC_SKIP="cargo build --release failed (see above)"
    fi
fi

WORK="$(mktemp -d)"
# Image ids (sha256:<config digest>) to remove on exit; removing by id drops every tag, including
# any tag tc gave the image when it loaded it.
IMAGE_IDS=()
cleanup() {
    local id
    local containers=()
    for id in "${IMAGE_IDS[@]}"; do
        mapfile -t containers < <(docker ps -aq --filter "ancestor=$id" 2>/dev/null || true)
        if ((${#containers[@]} > 0)); then
            docker rm -f "${containers[@]}" >/dev/null 2>&1 || true
        fi
        docker rmi -f "$id" >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export TC_CACHE_DIR="$WORK/cache"

# make_image_archive OUT_TAR REF EXTRA_BYTES: writes an image archive in `docker save` layout
# (manifest.json, <config digest>.json, <layer digest>/layer.tar) tagged REF, whose one layer
# holds bin/busybox, bin/{sh,true,echo,cat,sleep,env} -> busybox and, when EXTRA_BYTES > 0,
# data/blob of EXTRA_BYTES random bytes. Prints the image id (sha256:<config digest>).
make_image_archive() {
    local out="$1" ref="$2" extra="$3"
    local dir rootfs applet layer_sha cfg_sha sum
    local top=(bin)
    local tar_flags=(--sort=name --owner=0 --group=0 --numeric-owner --mtime=@0)
    dir="$(mktemp -d "$WORK/image.XXXXXX")"
    rootfs="$dir/rootfs"
    mkdir -p "$rootfs/bin" "$dir/save"
    cp "$BUSYBOX" "$rootfs/bin/busybox"
    chmod 0755 "$rootfs/bin" "$rootfs/bin/busybox"
    for applet in sh true echo cat sleep env; do
        ln -s busybox "$rootfs/bin/$applet"
    done
    if ((extra > 0)); then
        mkdir -p "$rootfs/data"
        chmod 0755 "$rootfs/data"
        head -c "$extra" /dev/urandom >"$rootfs/data/blob"
        chmod 0644 "$rootfs/data/blob"
        top+=(data)
    fi
    tar -C "$rootfs" "${tar_flags[@]}" -cf "$dir/layer.tar" "${top[@]}"
    rm -rf "$rootfs"
    sum="$(sha256sum "$dir/layer.tar")"
    layer_sha="${sum%% *}"
    mkdir "$dir/save/$layer_sha"
    mv "$dir/layer.tar" "$dir/save/$layer_sha/layer.tar"
    printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
        "$ARCH" "$layer_sha" >"$dir/config.json"
    sum="$(sha256sum "$dir/config.json")"
    cfg_sha="${sum%% *}"
    mv "$dir/config.json" "$dir/save/$cfg_sha.json"
    printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' \
        "$cfg_sha" "$ref" "$layer_sha" >"$dir/save/manifest.json"
    tar -C "$dir/save" "${tar_flags[@]}" -cf "$out" manifest.json "$cfg_sha.json" "$layer_sha"
    rm -rf "$dir"
    echo "sha256:$cfg_sha"
}

# run_timed LOG CMD...: runs CMD with its output in LOG and sets ELAPSED_US (wall time in
# microseconds); returns CMD's exit status.
ELAPSED_US=0
run_timed() {
    local log="$1" t0 t1 rc=0
    shift
    t0="$EPOCHREALTIME"
    "$@" >"$log" 2>&1 || rc=$?
    t1="$EPOCHREALTIME"
    ELAPSED_US=$((${t1/./} - ${t0/./}))
    return "$rc"
}

# median_us US...: the median of microsecond values.
median_us() {
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# fmt US DIVISOR DECIMALS: US / DIVISOR with DECIMALS decimals.
fmt() {
    awk -v v="$1" -v d="$2" -v n="$3" 'BEGIN { printf "%.*f", n, v / d }'
}

# ratio A B: A / B with two decimals.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

# why LOG: the last non-empty line of LOG, for a one-line failure reason.
why() {
    local line
    line="$(grep -v '^[[:space:]]*$' "$1" | tail -n 1 | sed -e 's/^[[:space:]]*//' -e 's/^× *//' || true)"
    echo "${line:-no output}"
}

# new_task_id: a fresh slugid for --local-task-id (a fixed one if `tc slugid` fails).
new_task_id() {
    "$TC" slugid 2>/dev/null || echo "UdQl42acRf2MXi1uFioJHA"
}

docker_load_zst() {
    zstd -dc "$1" | docker load && docker run --rm --network none "$LOAD_REF" true
}

remove_image() {
    docker rmi -f "$1" >/dev/null 2>&1 || true
}

cd "$WORK"
cat >task.yml <<'YAML'
payload:
  image: busybox-placeholder
  command: ['true']
  maxRunTime: 60
YAML

# ---------------------------------------------------------------- 1. start-up overhead
echo "==> building the busybox image archive ($SMALL_REF)" >&2
SMALL_ID="$(make_image_archive "$WORK/busybox.tar" "$SMALL_REF" 0)"
IMAGE_IDS+=("$SMALL_ID")
docker load -i "$WORK/busybox.tar" >"$WORK/docker-load.log" 2>&1 || {
    echo "error: docker load -i of the busybox archive failed: $(why "$WORK/docker-load.log")" >&2
    exit 1
}

TC_START_SKIP="$TC_SKIP"
tc_start() {
    local n="$1"
    "$TC" run-local --image "$SMALL_REF" --network none \
        --local-task-id "$TASK_ID" --artifacts-dir "$WORK/artifacts/start-$n" "$WORK/task.yml"
}
docker_start() {
    docker run --rm --network none "$SMALL_REF" true
}

echo "==> start-up: one warm-up each, then $RUNS runs each, interleaved" >&2
if [[ -z $TC_START_SKIP ]]; then
    TASK_ID="$(new_task_id)"
    if ! run_timed "$WORK/tc-start.log" tc_start warm; then
        TC_START_SKIP="tc run-local --image failed: $(why "$WORK/tc-start.log")"
    fi
fi
run_timed "$WORK/docker-start.log" docker_start || {
    echo "error: docker run failed: $(why "$WORK/docker-start.log")" >&2
    exit 1
}
tc_start_us=()
docker_start_us=()
for ((i = 1; i <= RUNS; i++)); do
    if [[ -z $TC_START_SKIP ]]; then
        TASK_ID="$(new_task_id)"
        if run_timed "$WORK/tc-start.log" tc_start "$i"; then
            tc_start_us+=("$ELAPSED_US")
        else
            TC_START_SKIP="tc run-local --image failed on run $i: $(why "$WORK/tc-start.log")"
            tc_start_us=()
        fi
    fi
    run_timed "$WORK/docker-start.log" docker_start || {
        echo "error: docker run failed: $(why "$WORK/docker-start.log")" >&2
        exit 1
    }
    docker_start_us+=("$ELAPSED_US")
done
echo "    docker run (us): ${docker_start_us[*]}" >&2
if [[ -z $TC_START_SKIP ]]; then
    echo "    tc run-local (us): ${tc_start_us[*]}" >&2
fi

# ---------------------------------------------------------------- 2. loading a .tar.zst image
echo "==> building a ${MB} MB image archive ($LOAD_REF) and compressing it with zstd -T0 -3" >&2
LOAD_ID="$(make_image_archive "$WORK/load.tar" "$LOAD_REF" $((MB * 1024 * 1024)))"
IMAGE_IDS+=("$LOAD_ID")
zstd -q -T0 -3 --rm "$WORK/load.tar" -o "$WORK/load.tar.zst"
ZST_BYTES="$(stat -c %s "$WORK/load.tar.zst")"

TC_LOAD_SKIP="$TC_SKIP"
tc_load() {
    local n="$1"
    "$TC" run-local --image "$WORK/load.tar.zst" --pull never --network none \
        --cache-dir "$WORK/load-cache-$n" --local-task-id "$TASK_ID" \
        --artifacts-dir "$WORK/artifacts/load-$n" "$WORK/task.yml"
}

echo "==> image load: $LOAD_RUNS runs each, interleaved, the image removed before every run" >&2
tc_load_us=()
docker_load_us=()
for ((i = 1; i <= LOAD_RUNS; i++)); do
    remove_image "$LOAD_ID"
    run_timed "$WORK/docker-load.log" docker_load_zst "$WORK/load.tar.zst" || {
        echo "error: zstd -dc | docker load failed: $(why "$WORK/docker-load.log")" >&2
        exit 1
    }
    docker_load_us+=("$ELAPSED_US")
    remove_image "$LOAD_ID"
    if [[ -z $TC_LOAD_SKIP ]]; then
        TASK_ID="$(new_task_id)"
        if run_timed "$WORK/tc-load.log" tc_load "$i"; then
            tc_load_us+=("$ELAPSED_US")
        else
            TC_LOAD_SKIP="tc run-local --image FILE.tar.zst failed on run $i: $(why "$WORK/tc-load.log")"
            tc_load_us=()
        fi
        rm -rf "$WORK/load-cache-$i"
    fi
done
remove_image "$LOAD_ID"
echo "    zstd -dc | docker load; docker run (us): ${docker_load_us[*]}" >&2
if [[ -z $TC_LOAD_SKIP ]]; then
    echo "    tc run-local --image (us): ${tc_load_us[*]}" >&2
fi

# ---------------------------------------------------------------- results
D_START="$(median_us "${docker_start_us[@]}")"
D_LOAD="$(median_us "${docker_load_us[@]}")"
if [[ -z $TC_START_SKIP ]]; then
    T_START="$(median_us "${tc_start_us[@]}")"
    START_TC="$(fmt "$T_START" 1000 1) ms"
    START_RATIO="$(ratio "$T_START" "$D_START")"
else
    START_TC="skipped"
    START_RATIO="n/a"
fi
if [[ -z $TC_LOAD_SKIP ]]; then
    T_LOAD="$(median_us "${tc_load_us[@]}")"
    LOAD_TC="$(fmt "$T_LOAD" 1000000 2) s"
    LOAD_RATIO="$(ratio "$T_LOAD" "$D_LOAD")"
else
    LOAD_TC="skipped"
    LOAD_RATIO="n/a"
fi

echo
echo "| measure | docker CLI | tc run-local | tc/docker |"
echo "|---|---:|---:|---:|"
echo "| start-up: \`true\` in busybox, median of $RUNS (\`docker run --rm --network none\`) | $(fmt "$D_START" 1000 1) ms | $START_TC | $START_RATIO |"
echo "| load a $MB MB image (.tar.zst, $(fmt "$ZST_BYTES" 1048576 1) MB), then \`true\` in it, median of $LOAD_RUNS (\`zstd -dc \| docker load\` + \`docker run --rm\`) | $(fmt "$D_LOAD" 1000000 2) s | $LOAD_TC | $LOAD_RATIO |"
if [[ -n $TC_START_SKIP ]]; then
    echo
    echo "tc start-up not measured: $TC_START_SKIP"
fi
if [[ -n $TC_LOAD_SKIP ]]; then
    echo
    echo "tc image load not measured: $TC_LOAD_SKIP"
fi
