#!/usr/bin/env bash
# Bring Rongmei up on this machine: bash scripts/up.sh
#
# Creates .venv with python3 and installs the project when needed, migrates the
# database, compiles our translations, loads the demo data, then runs the web server,
# the django-q2 worker and the platform sandbox until
# Ctrl-C, which stops all of them. Safe to run again: installed dependencies, applied
# migrations and existing demo data are left as they are.
#
# Environment (all optional):
#   RONGMEI_PORT           web server port (8000)
#   RONGMEI_SANDBOX_PORT   platform sandbox port (8300)
#   RONGMEI_VAR_DIR        database, media and local secrets (var/)
#   RONGMEI_DEMO_PASSWORD  password of the demo logins (default: one generated)
#   PYTHON                 interpreter used to create .venv (python3)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
PY=$VENV/bin/python
STAMP=$VENV/.rongmei-installed  # shared with scripts/test.sh
export RONGMEI_PORT=${RONGMEI_PORT:-8000}
export RONGMEI_SANDBOX_PORT=${RONGMEI_SANDBOX_PORT:-8300}
export WAGTAILADMIN_BASE_URL=${WAGTAILADMIN_BASE_URL:-http://127.0.0.1:$RONGMEI_PORT}
export PYTHONUNBUFFERED=1

if [ -t 1 ]; then bold=$'\033[1m' reset=$'\033[0m'; else bold='' reset=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$reset"; }
warn() { printf '!! %s\n' "$*" >&2; }
die() { warn "$*"; exit 1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if port_open "$RONGMEI_PORT"; then
    die "Port $RONGMEI_PORT is in use (another Rongmei?); choose another with RONGMEI_PORT."
fi

# --- 1. Python environment --------------------------------------------------------

if [ ! -x "$PY" ] || ! "$PY" -m pip --version >/dev/null 2>&1; then
    step "Creating $VENV with $PYTHON"
    command -v "$PYTHON" >/dev/null || die "$PYTHON not found; install Python 3.11."
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
        || die "Rongmei needs Python 3.11; run with PYTHON=/path/to/python3.11."
    "$PYTHON" -m venv --clear "$VENV" \
        || die "Could not create $VENV (on Debian: apt-get install python3-venv)."
fi

# Install again only when the files that decide what is installed changed (the stamp
# holds their checksums, as in scripts/test.sh).
requirements=(pyproject.toml)
install=(-e ".[dev]")
if [ -f constraints.txt ]; then
    requirements+=(constraints.txt)
    install=(-c constraints.txt "${install[@]}")
fi
if [ "$(sha256sum "${requirements[@]}")" != "$(cat "$STAMP" 2>/dev/null)" ]; then
    step "Installing Rongmei and its dependencies (a few minutes the first time)"
    "$PY" -m pip install --quiet --disable-pip-version-check "${install[@]}"
    sha256sum "${requirements[@]}" > "$STAMP"
fi

# --- 2. Database, translations, demo data -----------------------------------------

step "Migrating the database"
LOG_LEVEL=WARNING "$PY" manage.py migrate --noinput --verbosity 0

if [ -n "$(find . -path ./.venv -prune -o -path ./var -prune -o -name '*.po' -print -quit)" ]; then
    if command -v msgfmt >/dev/null; then
        step "Compiling translations"
        "$PY" manage.py compilemessages --ignore=.venv --ignore=var --verbosity 0
    else
        warn "msgfmt not found (apt-get install gettext): the admin shows untranslated strings."
    fi
fi

step "Loading demo data"
"$PY" manage.py seed_demo

# --- 3. Processes -------------------------------------------------------------------
#
# Each process runs in its own session (setsid), so stopping it stops its children
# too (the worker's pool), and its output is prefixed with its name. Add a process
# with one more `start` line below.

pids=()
names=()

prefix() {
    # Survive Ctrl-C so the last lines of a stopping process still come through.
    trap '' INT TERM
    exec awk -v p="[$1] " '{ print p $0; fflush() }'
}

start() {
    local name=$1
    shift
    if command -v setsid >/dev/null; then
        setsid "$@" > >(prefix "$name") 2>&1 < /dev/null &
    else
        "$@" > >(prefix "$name") 2>&1 < /dev/null &
    fi
    pids+=("$!")
    names+=("$name")
}

running() {
    local pid
    for pid in "${pids[@]}"; do
        if kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null; then
            return 0
        fi
    done
    return 1
}

stop_all() {
    local status=$? pid
    trap - EXIT HUP INT TERM
    # The terminal or the pipe we print to may be gone: stop the processes anyway.
    trap '' PIPE
    if [ ${#pids[@]} -gt 0 ]; then
        # SIGTERM to each main process only: the worker stops its own pool cleanly.
        for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
        step "Stopping ${names[*]}" 2>/dev/null || true
        for _ in $(seq 40); do running || break; sleep 0.5; done
        for pid in "${pids[@]}"; do
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        done
        wait 2>/dev/null || true
    fi
    exit "$status"
}
trap stop_all EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# The platform sandbox the demo accounts publish to (loopback only).
start sandbox "$PY" manage.py sandbox --port "$RONGMEI_SANDBOX_PORT"
sandbox_url="http://127.0.0.1:$RONGMEI_SANDBOX_PORT/"
start web "$PY" manage.py runserver "127.0.0.1:$RONGMEI_PORT" --noreload
web_pid=$!
start worker "$PY" manage.py qcluster

# Wait until the web server accepts connections.
for _ in $(seq 120); do
    if port_open "$RONGMEI_PORT"; then break; fi
    kill -0 "$web_pid" 2>/dev/null || die "The web server did not start (see [web] above)."
    sleep 0.25
done

step "Rongmei is running"
cat <<EOF
  Admin:    http://127.0.0.1:$RONGMEI_PORT/admin/
  API:      http://127.0.0.1:$RONGMEI_PORT/api/v2/pages/
  Sandbox:  $sandbox_url (what the demo accounts published, as each platform shows it)
  Logins:   the table printed above by seed_demo. Passwords are printed only when
            the demo users are created; forgotten one? $PY manage.py changepassword admin
  Press Ctrl-C to stop them all (${names[*]}).
EOF

# Run until one process ends (then stop the others) or until Ctrl-C.
set +e
wait -n "${pids[@]}"
status=$?
set -e
for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then warn "${names[$i]} stopped (status $status)."; fi
done
exit "$status"
