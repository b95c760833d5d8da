#!/usr/bin/env bash
# Run the test suite: `bash scripts/test.sh [pytest arguments]`.
#
# Creates .venv when it is missing, installs the project with the versions locked in
# constraints.txt when pyproject.toml or constraints.txt changed since the last
# install, installs Debian's chromium for the browser tests when it can (as root,
# with apt-get), then runs pytest with the arguments given. DATABASE_URL chooses the
# database as everywhere else; unset, the tests run on SQLite.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv
STAMP="$VENV/.rongmei-installed"
CHROMIUM=/usr/bin/chromium

if [ ! -x "$VENV/bin/python" ]; then
    echo "== Creating $VENV with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv "$VENV"
fi

# The stamp holds the checksums of the files that decide what is installed.
wanted="$(sha256sum pyproject.toml constraints.txt)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$wanted" ]; then
    echo "== Installing the project into $VENV (constraints.txt)"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
        -c constraints.txt -e ".[dev]"
    printf '%s\n' "$wanted" > "$STAMP"
fi

if [ ! -x "$CHROMIUM" ] && [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    echo "== Installing Debian's chromium for the browser tests"
    export DEBIAN_FRONTEND=noninteractive
    if ! { timeout 900 apt-get update -q \
        && timeout 900 apt-get install -y -q --no-install-recommends \
            chromium fonts-liberation fonts-noto-cjk < /dev/null; }; then
        echo "!! Could not install chromium: the browser tests will be skipped." >&2
    fi
fi

status=0
"$VENV/bin/python" -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "!! pytest collected no tests (exit 5): treating that as a failure." >&2
    exit 1
fi
exit "$status"
